import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Button, Code, Stack, Text } from '@mantine/core';
import { confirmCertificate, type CertificateView } from '../../platform/console/src/components/CertificateDialog.tsx';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { Time } from '../../platform/console/src/components/Time.tsx';
import { meetingsApi as api, type Row } from './meetings-api.ts';

// M1 trust on first use: a node whose certificate changed offers the new one for acceptance
// (the dialog is the platform's, shared with Licensing).

/** Where a CMS shows its own certificate, for the operator to compare fingerprints. */
export const cmsCertificateHint = <>CMS: the Web Admin's certificate, or <code>pki inspect</code> on its MMP</>;

export function NodeCertificate({ bridgeId, node, manage }: { bridgeId: string; node: Row; manage: boolean }) {
  const client = useQueryClient();
  const accept = useMutation({
    mutationFn: async () => {
      const presented = node.presentedCertificate as CertificateView;
      const ok = await confirmCertificate(presented, `Accept the new certificate of ${node.name}?`, `${node.name} now presents another certificate than the one accepted (SHA-256 ${node.certificateFingerprint ?? 'none'}). Accept it only if the bridge's certificate was renewed.`, 'Accept certificate', cmsCertificateHint);
      if (!ok) return null;
      return api.acceptCertificate(bridgeId, node.id, presented.fingerprint);
    },
    onSuccess: () => client.invalidateQueries({ queryKey: ['meetings', 'bridge', bridgeId] }),
  });
  if (!/^https:/.test(node.address)) return <Text size="sm">plain HTTP</Text>;
  const current = node.certificateTrust === 'ca' ? 'trusted by CA' : node.certificateTrust === 'pinned' ? 'pinned' : 'pinned on first contact';
  return (
    <Stack gap={2} aria-label={`Certificate of ${node.name}`}>
      <Text size="sm">{current}</Text>
      {node.certificateFingerprint && <Code title="SHA-256" style={{ wordBreak: 'break-all' }}>{node.certificateFingerprint}</Code>}
      {node.certificate && <Text size="xs" c="dimmed">{node.certificate.subject}, valid to <Time value={node.certificate.validTo} /></Text>}
      {node.presentedCertificate && (
        <Stack gap={2}>
          <Text size="sm" c="red" fw={600}>Changed: now presents</Text>
          <Code style={{ wordBreak: 'break-all' }}>{node.presentedCertificate.fingerprint}</Code>
          {manage && <Button size="compact-xs" variant="light" color="red" loading={accept.isPending} onClick={() => accept.mutate()}>Accept new certificate</Button>}
        </Stack>
      )}
      {accept.error && <ErrorNotice error={accept.error} />}
    </Stack>
  );
}
