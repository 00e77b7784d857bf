import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import AjvModule from 'ajv';

// Contract validators for the Webex APIs beyond subscribers: BroadWorks enterprises and workspaces
// (webex-broadworks.openapi.json) and people / organizations (webex-admin-people-orgs.openapi.json).

const Ajv = (AjvModule as unknown as { default: typeof AjvModule }).default ?? AjvModule;
const referenceDir = process.env.SWITCHBOARD_REFERENCE_DIR ?? path.resolve(import.meta.dirname, '../../shared/reference');

/** Null when the reference specs are absent. Every schema is made strict about unknown fields, so extra fields fail. */
export function adminContract() {
  const broadworks = path.join(referenceDir, 'webex-broadworks.openapi.json');
  const admin = path.join(referenceDir, 'webex-admin-people-orgs.openapi.json');
  if (!fs.existsSync(broadworks) || !fs.existsSync(admin)) return null;
  const ajv = new (Ajv as any)({ strict: false, allErrors: true, validateFormats: false });
  const strict = (schema: any): any => {
    if (!schema || typeof schema !== 'object') return schema;
    if (Array.isArray(schema)) return schema.map(strict);
    const out: any = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, k === 'example' ? v : strict(v)]));
    if (out.type === 'object' && out.properties) out.additionalProperties = false;
    return out;
  };
  ajv.addSchema({ $id: 'bw', components: strict(JSON.parse(fs.readFileSync(broadworks, 'utf8')).components) });
  ajv.addSchema({ $id: 'admin', components: strict(JSON.parse(fs.readFileSync(admin, 'utf8')).components) });
  const check = (schema: object) => {
    const validate = ajv.compile(schema);
    return (body: unknown) => assert.ok(validate(body), `${JSON.stringify(schema)}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`);
  };
  const ref = (r: string) => ({ $ref: r });
  return {
    // The spec's EnterpriseListResponse describes one enterprise; the list wraps them in items.
    enterpriseList: check({ type: 'object', required: ['items'], additionalProperties: false, properties: { items: { type: 'array', items: ref('bw#/components/schemas/EnterpriseListResponse') } } }),
    directorySync: check(ref('bw#/components/schemas/GetDirectorySyncStatusResponse')),
    updateDirectorySync: check(ref('bw#/components/schemas/UpdateDirectorySyncResponse')),
    triggerDirectorySync: check(ref('bw#/components/schemas/TriggerDirectorySyncResponse')),
    externalUser: check(ref('bw#/components/schemas/TriggerUserDirectorySyncResponse')),
    workspace: check(ref('bw#/components/schemas/WorkspaceResponse')),
    person: check(ref('admin#/components/schemas/Person')),
    people: check(ref('admin#/components/schemas/PersonCollectionResponse')),
    organization: check(ref('admin#/components/schemas/Organization')),
    organizations: check(ref('admin#/components/schemas/OrganizationCollectionResponse')),
  };
}
