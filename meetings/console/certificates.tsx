import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Button, Code, Stack, Text } from '@mantine/core';
import { modals } from '@mantine/modals';
import { ApiError } from '../../platform/console/src/api.ts';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { Time } from '../../platform/console/src/components/Time.tsx';
import { meetingsApi as api, type Row } from './meetings-api.ts';

// M1 trust on first use, as the console shows it: a certificate no trusted CA vouches for is shown —
// subject, issuer, validity, SHA-256 — for the operator to compare with the server's own before
// trusting (pinning) it; a node whose certificate changed offers the new one for acceptance.

export function confirmCertificate(certificate: Row, title: string, intro: string, confirmLabel: string): Promise<boolean> {
  return new Promise((resolve) => {
    modals.openConfirmModal({
      title,
      children: (
        <Stack gap="xs" aria-label="Certificate">
          <Text size="sm">{intro}</Text>
          <Text size="sm"><b>Subject:</b> {certificate.subject}</Text>
          <Text size="sm"><b>Issuer:</b> {certificate.issuer}</Text>
          <Text size="sm"><b>Valid:</b> <Time value={certificate.validFrom} /> to <Time value={certificate.validTo} /></Text>
          <Text size="sm"><b>SHA-256 fingerprint:</b></Text>
          <Code block data-testid="certificate-fingerprint">{certificate.fingerprint}</Code>
          <Text size="xs" c="dimmed">Compare it with the certificate the server itself shows (CMS: the Web Admin's certificate, or <code>pki inspect</code> on its MMP). Once trusted, Switchboard talks to this server only while it presents exactly this certificate.</Text>
        </Stack>
      ),
      labels: { confirm: confirmLabel, cancel: 'Cancel' },
      onConfirm: () => resolve(true),
      onCancel: () => resolve(false),
      onClose: () => resolve(false),
    });
  });
}

/** The certificate an add was refused for, when the refusal is "not trusted" (and not a fingerprint already confirmed). */
export function untrustedCertificate(error: unknown): Row | undefined {
  if (!(error instanceof ApiError) || error.code !== 'CERTIFICATE_NOT_TRUSTED') return undefined;
  const details = error.details as { certificate?: Row; confirmedFingerprint?: string } | undefined;
  return details?.confirmedFingerprint ? undefined : details?.certificate;
}

export function NodeCertificate({ bridgeId, node, manage }: { bridgeId: string; node: Row; manage: boolean }) {
  const client = useQueryClient();
  const accept = useMutation({
    mutationFn: async () => {
      const presented = node.presentedCertificate as Row;
      const ok = await confirmCertificate(presented, `Accept the new certificate of ${node.name}?`, `${node.name} now presents another certificate than the one accepted (SHA-256 ${node.certificateFingerprint ?? 'none'}). Accept it only if the bridge's certificate was renewed.`, 'Accept certificate');
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
