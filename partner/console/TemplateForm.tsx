import { useState, type FormEvent } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { request } from '../../platform/console/src/api.ts';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';

// P3: add or edit a customer template. On edit a blank password keeps the stored one.

const packages = ['softphone', 'basic', 'standard', 'premium'] as const;
export type TemplateFields = {
  id?: string;
  name: string;
  clusterId: string;
  provisioningAccount: string;
  trustedEmails: boolean;
  defaultPackage: string;
  partnerAdminEmail: string;
  provisionExistingOrgs: boolean;
  adminInviteOnAttach: boolean;
  disableFreeCalling: boolean;
  prefillEmail: boolean;
  provisionAdminFirst: boolean;
  allowSelfActivation: boolean;
};
const toggles: { key: keyof TemplateFields; label: string }[] = [
  { key: 'trustedEmails', label: 'Trusted emails' },
  { key: 'provisionExistingOrgs', label: 'Provision existing organisations' },
  { key: 'adminInviteOnAttach', label: 'Allow admin-invite emails when attaching to existing orgs' },
  { key: 'disableFreeCalling', label: 'Disable Cisco Webex free calling' },
  { key: 'prefillEmail', label: 'Prefill user email addresses in login page' },
  { key: 'provisionAdminFirst', label: 'Provision Admin First' },
  { key: 'allowSelfActivation', label: 'Allow users to self activate' },
];
const editable = ['name', 'clusterId', 'provisioningAccount', 'defaultPackage', 'partnerAdminEmail', ...toggles.map((t) => t.key)] as const;
const blank = (clusterId: string): TemplateFields => ({
  name: '',
  clusterId,
  provisioningAccount: '',
  trustedEmails: true,
  defaultPackage: 'basic',
  partnerAdminEmail: '',
  provisionExistingOrgs: true,
  adminInviteOnAttach: true,
  disableFreeCalling: false,
  prefillEmail: false,
  provisionAdminFirst: false,
  allowSelfActivation: false,
});

export function TemplateForm({ template, clusters, onDone }: { template?: TemplateFields; clusters: { id: string; name: string }[]; onDone: () => void }) {
  const [fields, setFields] = useState<TemplateFields>(() => (template ? { ...template } : blank(clusters[0]?.id ?? '')));
  const [password, setPassword] = useState('');
  const client = useQueryClient();
  const save = useMutation({
    mutationFn: () => {
      // Only the editable fields: the API refuses unknown ones (a listed template carries more).
      const body = Object.fromEntries(editable.map((k) => [k, fields[k]]));
      const withPassword = password ? { ...body, provisioningPassword: password } : body;
      return template?.id
        ? request(`/api/v1/partner/templates/${template.id}`, { method: 'PATCH', body: withPassword })
        : request('/api/v1/partner/templates', { method: 'POST', body: { ...withPassword, provisioningPassword: password } });
    },
    onSuccess: async () => {
      await client.invalidateQueries({ queryKey: ['partner'] });
      onDone();
    },
  });
  const set = <K extends keyof TemplateFields>(key: K, value: TemplateFields[K]) => setFields((f) => ({ ...f, [key]: value }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  const title = template?.id ? `Edit template ${template.name}` : 'New customer template';
  return (
    <form onSubmit={submit} aria-label={title} className="form">
      <h3>{title}</h3>
      <ErrorNotice error={save.error} />
      <label>
        Template name <input value={fields.name} onChange={(e) => set('name', e.target.value)} required />
      </label>
      <label>
        Cluster{' '}
        <select value={fields.clusterId} onChange={(e) => set('clusterId', e.target.value)}>
          {clusters.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Provisioning account name <input value={fields.provisioningAccount} onChange={(e) => set('provisioningAccount', e.target.value)} required />
      </label>
      <label>
        Provisioning password{' '}
        <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} required={!template?.id} placeholder={template?.id ? 'leave blank to keep' : ''} autoComplete="new-password" />
      </label>
      <label>
        Partner admin email <input type="email" value={fields.partnerAdminEmail} onChange={(e) => set('partnerAdminEmail', e.target.value)} required />
      </label>
      <label>
        Default package{' '}
        <select value={fields.defaultPackage} onChange={(e) => set('defaultPackage', e.target.value)}>
          {packages.map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
      </label>
      {toggles.map((t) => (
        <label key={t.key}>
          <input type="checkbox" checked={Boolean(fields[t.key])} onChange={(e) => set(t.key, e.target.checked as never)} /> {t.label}
        </label>
      ))}
      <div>
        <button type="submit" disabled={save.isPending}>
          Save template
        </button>{' '}
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
