import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Button, Checkbox, Group, Modal, NativeSelect, PasswordInput, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { request } from '../../platform/console/src/api.ts';
import { ErrorNotice } from '../../platform/console/src/components/ErrorNotice.tsx';
import { notifySuccess } from '../../platform/console/src/components/feedback.tsx';
import { fieldErrors } from '../../platform/console/src/components/form-errors.ts';
import { packageOptions, type Cluster, type Template } from './partner-api.ts';

// P3: add or edit a customer template. Checked here so each message sits under its field before
// anything is sent; the API checks again (the password policy is the server's, see partner/README)
// and its refusals come back under the same fields. On edit a blank password keeps the stored one.

/** The provisioning password's minimum, as the API enforces it (templates.service.ts). */
export const PROVISIONING_PASSWORD_MIN = 8;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const toggles = [
  { key: 'trustedEmails', label: 'Trusted emails', description: 'BroadWorks emails are used as they are; off: each user confirms theirs.' },
  { key: 'provisionExistingOrgs', label: 'Provision existing organisations', description: 'Attach an enterprise to the Webex organisation its first user already belongs to.' },
  { key: 'adminInviteOnAttach', label: 'Allow admin-invite emails when attaching to existing orgs' },
  { key: 'disableFreeCalling', label: 'Disable Cisco Webex free calling' },
  { key: 'prefillEmail', label: 'Prefill user email addresses in login page' },
  { key: 'provisionAdminFirst', label: 'Provision Admin First', description: 'Other users wait until the enterprise’s administrator is provisioned.' },
  { key: 'allowSelfActivation', label: 'Allow users to self activate' },
] as const;
type ToggleKey = (typeof toggles)[number]['key'];
type Values = { name: string; clusterId: string; provisioningAccount: string; provisioningPassword: string; partnerAdminEmail: string; defaultPackage: string } & Record<ToggleKey, boolean>;

const initial = (template: Template | undefined, clusterId: string): Values => ({
  name: template?.name ?? '',
  clusterId: template?.clusterId ?? clusterId,
  provisioningAccount: template?.provisioningAccount ?? '',
  provisioningPassword: '',
  partnerAdminEmail: template?.partnerAdminEmail ?? '',
  defaultPackage: template?.defaultPackage ?? 'basic',
  trustedEmails: template?.trustedEmails ?? true,
  provisionExistingOrgs: template?.provisionExistingOrgs ?? true,
  adminInviteOnAttach: template?.adminInviteOnAttach ?? true,
  disableFreeCalling: template?.disableFreeCalling ?? false,
  prefillEmail: template?.prefillEmail ?? false,
  provisionAdminFirst: template?.provisionAdminFirst ?? false,
  allowSelfActivation: template?.allowSelfActivation ?? false,
});

export function TemplateForm({ template, clusters, onDone }: { template?: Template; clusters: Pick<Cluster, 'id' | 'name'>[]; onDone: () => void }) {
  const client = useQueryClient();
  const editing = Boolean(template);
  const form = useForm<Values>({
    mode: 'controlled',
    initialValues: initial(template, clusters[0]?.id ?? ''),
    validate: {
      name: (v) => (v.trim() ? null : 'Enter a name for the template, such as “EMEA enterprises”.'),
      clusterId: (v) => (v ? null : 'Choose the BroadWorks cluster its subscribers live on.'),
      provisioningAccount: (v) => (v.trim() ? null : 'Enter the BroadWorks provisioning account name (the provisioningUserId set on BroadWorks).'),
      provisioningPassword: (v) =>
        !v && editing
          ? null
          : !v
            ? 'Enter the provisioning account’s password, as set on BroadWorks.'
            : v.length < PROVISIONING_PASSWORD_MIN
              ? `Use at least ${PROVISIONING_PASSWORD_MIN} characters (this one has ${v.length}).`
              : null,
      partnerAdminEmail: (v) => (EMAIL.test(v.trim()) ? null : 'Enter the partner administrator’s email address, such as admin@partner.example.'),
    },
  });
  const save = useMutation({
    mutationFn: (values: Values) => {
      const { provisioningPassword, ...rest } = values;
      const body = { ...rest, name: rest.name.trim(), provisioningAccount: rest.provisioningAccount.trim(), partnerAdminEmail: rest.partnerAdminEmail.trim(), ...(provisioningPassword ? { provisioningPassword } : {}) };
      return template ? request<Template>(`/api/v1/partner/templates/${template.id}`, { method: 'PATCH', body }) : request<Template>('/api/v1/partner/templates', { method: 'POST', body });
    },
    onSuccess: async (saved) => {
      notifySuccess(editing ? `${saved.name} saved.` : `${saved.name} created. Its provisioning ID goes into BroadWorks.`, editing ? 'Template saved' : 'Template created');
      await client.invalidateQueries({ queryKey: ['partner'] });
      onDone();
    },
    onError: (error) => form.setErrors(fieldErrors(error)),
  });
  const title = template ? `Edit template ${template.name}` : 'New customer template';
  return (
    <Modal opened onClose={onDone} title={title} size="xl">
      <form onSubmit={form.onSubmit((values) => save.mutate(values))} aria-label={title} noValidate>
        <Stack gap="sm">
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
            <TextInput label="Template name" data-autofocus {...form.getInputProps('name')} />
            <NativeSelect label="Cluster" data={clusters.map((c) => ({ value: c.id, label: c.name }))} {...form.getInputProps('clusterId')} />
            <TextInput label="Provisioning account name" autoComplete="off" {...form.getInputProps('provisioningAccount')} />
            <PasswordInput
              label="Provisioning password"
              description={editing ? `Leave blank to keep the stored one; a new one has at least ${PROVISIONING_PASSWORD_MIN} characters.` : `At least ${PROVISIONING_PASSWORD_MIN} characters, as set on BroadWorks.`}
              autoComplete="new-password"
              {...form.getInputProps('provisioningPassword')}
            />
            <TextInput label="Partner admin email" type="email" {...form.getInputProps('partnerAdminEmail')} />
            <NativeSelect label="Default package" data={packageOptions} {...form.getInputProps('defaultPackage')} />
          </SimpleGrid>
          <Stack gap={6}>
            {toggles.map((t) => (
              <Checkbox key={t.key} label={t.label} description={'description' in t ? t.description : undefined} {...form.getInputProps(t.key, { type: 'checkbox' })} />
            ))}
          </Stack>
          <ErrorNotice error={save.error} title="Could not save the template" />
          {!clusters.length && <Text c="red">Add a BroadWorks cluster first: a template belongs to one.</Text>}
          <Group justify="flex-end">
            <Button variant="default" onClick={onDone}>
              Cancel
            </Button>
            <Button type="submit" loading={save.isPending}>
              Save template
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
