import type { ReactNode } from 'react';
import { Code, Stack, Text } from '@mantine/core';
import { modals } from '@mantine/modals';
import { ApiError } from '../api.ts';
import { Time } from './Time.tsx';

/** What the server says about a TLS certificate (platform/http/external-client.ts CertificateSummary). */
export type CertificateView = { subject: string; issuer: string; validFrom: string; validTo: string; fingerprint: string };

// Trust on first use (issue #14), the same in every area: a certificate no trusted CA vouches for is
// shown — subject, issuer, validity, SHA-256 — for the operator to compare with the server's own
// before trusting (pinning) it; `compareHint` says where that server shows its certificate.

export function confirmCertificate(certificate: CertificateView, title: string, intro: string, confirmLabel: string, compareHint: ReactNode): Promise<boolean> {
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
          <Text size="xs" c="dimmed">Compare it with the certificate the server itself shows ({compareHint}). Once trusted, Switchboard talks to this server only while it presents exactly this certificate.</Text>
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
export function untrustedCertificate(error: unknown): CertificateView | undefined {
  if (!(error instanceof ApiError) || error.code !== 'CERTIFICATE_NOT_TRUSTED') return undefined;
  const details = error.details as { certificate?: CertificateView; confirmedFingerprint?: string } | undefined;
  return details?.confirmedFingerprint ? undefined : details?.certificate;
}
