import { AppError, type ErrorCode } from '../platform/errors.ts';

// HCM-F's error catalogue (Operation Guide, "Troubleshooting Smart Licensing"): what a failed job
// step shows as its error description and recommended action.
export const catalogue = {
  CSSM1005: { description: 'Connection to CSSM was refused.', action: 'Check that CSSM (or the proxy) is reachable from Switchboard and retry the job.' },
  CSSM1006: { description: 'CSSM host is unknown.', action: 'Check the Authentication Gateway and CSSM Server URLs and DNS.' },
  CSSM1007: { description: 'Socket timeout while talking to CSSM.', action: 'Check network connectivity to CSSM and retry the job.' },
  CSSM1009: { description: 'CSSM client creation failed: invalid transport mode.', action: 'Correct the transport settings of the Smart Account.' },
  CSSM1011: { description: 'Authentication with CSSM failed.', action: 'Reconfigure client ID and Secret.' },
  CSSM1015: { description: 'Client credentials may not have access to Smart Account or Domain Name is incorrect.', action: 'Check the Smart Account domain name and the API client access to it.' },
  CSSM1019: { description: 'Given Smart Account ID does not exist.', action: 'Check the Smart Account domain name.' },
  CSSM1020: { description: 'CSSM server responded with errors.', action: 'Retry later; if it persists, contact Cisco TAC.' },
  CSSM1021: { description: 'CSSM rate-limited the request.', action: 'Retry later (CSSM asked to wait).' },
  CAA1004: { description: 'Admin credentials of the cluster are missing.', action: 'Add the application admin credentials to the cluster.' },
  CAA1008: { description: 'Platform credentials of the cluster are missing.', action: 'Add the platform credentials to the cluster.' },
  CAA1035: { description: 'Invalid admin credentials of the UC application.', action: 'Correct the admin credentials of the cluster.' },
  CAA1036: { description: 'The UC application (AXL/REST) is unreachable.', action: 'Check the publisher address and that the publisher is up, then restart the job.' },
  CAA1037: { description: 'Invalid platform credentials of the UC application.', action: 'Correct the platform credentials of the cluster.' },
  CAA1041: { description: 'Edit Transport Settings operation is not allowed since product is in Registered state.', action: 'Unassign the cluster, then assign it again.' },
  CAA1042: { description: 'Product may already be deregistered.', action: 'Refresh the cluster status.' },
  CAA1043: { description: 'Unity Connection internal error.', action: 'Verify Cisco Smart License Manager and Tomcat services are running on the publisher.' },
  CAA1045: { description: 'The UC application version is not supported.', action: 'Upgrade the cluster to 12.5 or later.' },
  CAA1048: { description: 'The Product Instance Registration Token is invalid or has expired.', action: 'Perform Smart Account Sync and restart the job.' },
  CAA1049: { description: 'The product is a subscriber node; smart licensing operations are allowed on the publisher only.', action: 'Set the publisher address of the cluster.' },
  CAA1077: { description: 'PAWS error while changing the license (deployment) mode.', action: 'Check the platform credentials and the Platform Administrative Web Service on the publisher.' },
  CAA1081: { description: 'Registration with Smart Agent failed.', action: 'Check the transport settings and CSSM reachability from the cluster, then restart the job.' },
  CAA1082: { description: 'Deregistration with Smart Agent failed.', action: 'Check CSSM reachability from the cluster, then restart the job.' },
  CAA1083: { description: 'Update transport settings failed.', action: 'Check the transport settings, then restart the job.' },
  SLMCT1001: { description: 'The Virtual Account is not valid.', action: 'Perform Smart Account Sync and choose an existing Virtual Account.' },
  SLMCT1006: { description: 'The cluster version is not supported for smart licensing (12.5 or later is required).', action: 'Upgrade the cluster to 12.5 or later, or keep it on PLM.' },
  SLMCT1007: { description: 'The cluster is already assigned to a Virtual Account.', action: 'Unassign it first, or reassign it.' },
  SLMCT1011: { description: 'The cluster is already unassigned.', action: 'None.' },
  SLMCT1012: { description: 'The cluster has no publisher.', action: 'Set the publisher address of the cluster.' },
  SLMCT1013: { description: 'Platform credentials are missing.', action: 'Add the platform credentials to the cluster.' },
  SLMCT1014: { description: 'Admin credentials are missing.', action: 'Add the admin credentials to the cluster.' },
  SLMCT1015: { description: 'Unsupported cluster type (only Unified CM, Unity Connection and CER).', action: 'None.' },
  SLM1010: { description: 'Unable to generate or retrieve product token for the Virtual Account.', action: 'Perform Smart Account Sync and check the API client can create tokens in the Virtual Account.' },
  SLM1014: { description: 'Virtual Account is not associated with any License Mode.', action: 'Set the License Mode of the Virtual Account, then assign.' },
  SLM1025: { description: 'Invalid cluster.', action: 'Check the cluster in the inventory.' },
  SLM1016: { description: 'Smart Account sync failed.', action: 'See the error, correct it and sync again.' },
  // Switchboard's own (HCM-F's catalogue has no certificate checks): the publisher's certificate (L4).
  SBCERT1001: { description: 'The publisher presents a certificate other than the one pinned for it; nothing was sent to it.', action: 'Check the certificate with the cluster\'s administrator, accept it on the cluster (Accept certificate), then restart the job.' },
  SBCERT1002: { description: 'No trusted CA vouches for the publisher\'s certificate; nothing was sent to it.', action: 'Accept the certificate on the cluster after checking its fingerprint, or add its CA to SWITCHBOARD_TLS_CA_FILE, then restart the job.' },
} as const;

export type CatalogueCode = keyof typeof catalogue;

/** An AppError carrying a catalogue entry: jobs show its description and recommended action. */
export function licensingError(code: ErrorCode, catalogueCode: CatalogueCode, message?: string, details: Record<string, unknown> = {}) {
  const entry = catalogue[catalogueCode];
  return new AppError(code, `${catalogueCode}: ${message ?? entry.description}`, { ...details, catalogueCode, errorDescription: entry.description, recommendedAction: entry.action });
}

export function catalogueOf(error: unknown): { code: string; errorDescription: string; recommendedAction: string } {
  const details = (error instanceof AppError ? error.details : undefined) as { catalogueCode?: string; errorDescription?: string; recommendedAction?: string } | undefined;
  if (details?.catalogueCode) return { code: details.catalogueCode, errorDescription: (error as Error).message, recommendedAction: details.recommendedAction ?? '' };
  return { code: 'SLM1001', errorDescription: error instanceof Error ? error.message : String(error), recommendedAction: 'See the error, correct it and restart the job.' };
}
