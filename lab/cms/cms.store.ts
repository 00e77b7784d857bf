// The configuration database a CMS cluster shares between its Call Bridges: spaces and their access
// methods and members, profiles, tenants, dial plan, bulk parameter sets and syncs, the Call Bridge list.
// Every rule here answers with CMS failure reasons (`<failureDetails>`), thrown as AppError so the server
// decides the status: VALIDATION_FAILED → 400, NOT_FOUND → 404.
import { randomBytes, randomUUID } from 'node:crypto';
import { AppError } from '../../platform/errors.ts';
import { schemas, type CollectionKey, type CollectionSchema, type FieldKind } from './cms.schema.ts';

export type CmsObject = {
  id: string;
  /** Raw wire values, in insertion order; absent = unset. */
  v: Record<string, string>;
  /** For sub-objects: the owning coSpace. For bulk-created spaces: the parameter set. */
  parent?: string;
  bulkSet?: string;
};

export type Form = Map<string, string>;

export type BulkSyncStatus =
  | 'pending'
  | 'running'
  | 'complete'
  | 'failedCoSpaceUriConflict'
  | 'failedCallIdConflict'
  | 'failedIndexRangeInvalid'
  | 'failedIndexRangeTooGreat'
  | 'failedNoSuchParameterSet'
  | 'failed';

export type BulkSync = { id: string; parameterSet: string; removeAll?: string; status: BulkSyncStatus; createdAt: number };

export type StoreOptions = {
  /** Accept `on|off|yes|no|1|0` for booleans too (Mividas sends on/off for mutes); default false. */
  lenientBooleans?: boolean;
  /** Largest index range a bulk sync accepts before failedIndexRangeTooGreat; default 100,000. */
  bulkMaxRange?: number;
};

export const cmsFailure = (reason: string, attributes?: Record<string, string>) =>
  new AppError('VALIDATION_FAILED', `CMS failure: ${reason}`, { reason, attributes });

export const cmsNotFound = (reason: string) => new AppError('NOT_FOUND', `CMS failure: ${reason}`, { reason });

export const parameterError = (parameter: string, error = 'invalidValue') =>
  cmsFailure('parameterError', { parameter, error });

/** `V_diBH_9ARvojUzOOy38Cg`-style guest secret: 16 random bytes, base64url. */
export const newSecret = () => randomBytes(16).toString('base64url');

const BOOL_TRUE = new Set(['true', 'on', 'yes', '1']);
const BOOL_FALSE = new Set(['false', 'off', 'no', '0']);

export type CmsStore = ReturnType<typeof createCmsStore>;

export function createCmsStore(options: StoreOptions = {}) {
  const lenient = options.lenientBooleans ?? false;
  const bulkMaxRange = options.bulkMaxRange ?? 100_000;

  const collections = {} as Record<CollectionKey, Map<string, CmsObject>>;
  for (const key of Object.keys(schemas) as CollectionKey[]) collections[key] = new Map();

  // URI user parts and call IDs are unique across spaces; within one space, a URI or call ID may be
  // shared between the space and its access methods as long as the passcodes differ.
  const uriOwners = new Map<string, CmsObject[]>();
  const callIdOwners = new Map<string, CmsObject[]>();
  const systemProfiles: Record<string, string> = {};
  const bulkSyncs = new Map<string, BulkSync>();
  const changeListeners: Array<(event: { key: CollectionKey | 'cospaceBulkSyncs'; id: string; op: string }) => void> = [];

  function spaceOf(obj: CmsObject): string {
    return obj.parent ?? obj.id;
  }

  function indexAdd(index: Map<string, CmsObject[]>, value: string | undefined, obj: CmsObject) {
    if (!value) return;
    const key = value.toLowerCase();
    const owners = index.get(key);
    if (owners) owners.push(obj);
    else index.set(key, [obj]);
  }

  function indexRemove(index: Map<string, CmsObject[]>, value: string | undefined, obj: CmsObject) {
    if (!value) return;
    const key = value.toLowerCase();
    const owners = index.get(key);
    if (!owners) return;
    const rest = owners.filter((o) => o !== obj);
    if (rest.length === 0) index.delete(key);
    else index.set(key, rest);
  }

  function indexObject(obj: CmsObject, add: boolean) {
    const fn = add ? indexAdd : indexRemove;
    fn(uriOwners, obj.v.uri, obj);
    fn(uriOwners, obj.v.secondaryUri, obj);
    fn(callIdOwners, obj.v.callId, obj);
  }

  /** Throws the CMS duplicate reason when `candidate` (not yet indexed) clashes. */
  function checkUnique(candidate: CmsObject, self: CmsObject | undefined) {
    const space = spaceOf(candidate);
    const check = (index: Map<string, CmsObject[]>, value: string | undefined, otherSpace: string, samePasscode: string) => {
      if (!value) return;
      for (const owner of index.get(value.toLowerCase()) ?? []) {
        if (owner === self) continue;
        if (spaceOf(owner) !== space) throw cmsFailure(otherSpace);
        if ((owner.v.passcode ?? '') === (candidate.v.passcode ?? '')) throw cmsFailure(samePasscode);
      }
    };
    check(uriOwners, candidate.v.uri, 'duplicateCoSpaceUri', 'duplicateCoSpaceUriPasscode');
    check(uriOwners, candidate.v.secondaryUri, 'duplicateCoSpaceUri', 'duplicateCoSpaceUriPasscode');
    check(callIdOwners, candidate.v.callId, 'duplicateCoSpaceId', 'duplicateCoSpaceIdPasscode');
    if (candidate.v.uri && candidate.v.secondaryUri && candidate.v.uri.toLowerCase() === candidate.v.secondaryUri.toLowerCase()) {
      throw cmsFailure('duplicateCoSpaceUri');
    }
  }

  function normalise(schema: CollectionSchema, name: string, raw: string): string {
    if (schema.fields === 'any') return raw;
    const kind: FieldKind | undefined = schema.fields[name];
    if (kind === undefined || raw === '') return raw;
    if (kind === 'boolean') {
      if (raw === 'true' || raw === 'false') return raw;
      const lower = raw.toLowerCase();
      if (lenient && BOOL_TRUE.has(lower)) return 'true';
      if (lenient && BOOL_FALSE.has(lower)) return 'false';
      throw parameterError(name);
    }
    if (kind === 'number') {
      if (!/^-?\d+$/.test(raw)) throw parameterError(name);
      return raw;
    }
    if (kind === 'ref') {
      const target = schema.refs?.[name];
      if (target && !collections[target].has(raw)) throw cmsFailure(schemas[target].notFound);
      return raw;
    }
    if (Array.isArray(kind) && !kind.includes(raw)) throw parameterError(name);
    return raw;
  }

  /**
   * Applies a form to `values` (a copy): on create, empty means "not set"; on modify, an omitted field is
   * unchanged and an empty one is unset. Unknown fields are ignored, as CMS ignores parameters it does
   * not know (TMS sends undocumented ones and gets 200).
   */
  function applyForm(schema: CollectionSchema, values: Record<string, string>, form: Form, creating: boolean) {
    for (const [name, raw] of form) {
      if (schema.fields !== 'any' && !(name in schema.fields)) continue;
      if (raw === '') {
        if (!creating) delete values[name];
        continue;
      }
      values[name] = normalise(schema, name, raw);
    }
    if (creating) {
      for (const [name, value] of Object.entries(schema.defaults ?? {})) if (values[name] === undefined) values[name] = value;
      for (const name of schema.required ?? []) if (!values[name]) throw parameterError(name, 'missing');
    }
  }

  /** Detail order when the schema fixes one; otherwise insertion order. */
  function ordered(schema: CollectionSchema, values: Record<string, string>): Record<string, string> {
    if (schema.fields === 'any') return { ...values };
    const out: Record<string, string> = {};
    for (const name of Object.keys(schema.fields)) {
      const value = values[name];
      if (value !== undefined) out[name] = value;
      else if (schema.alwaysShow?.includes(name)) out[name] = '';
    }
    return out;
  }

  // Insertion-ordered arrays of each collection, rebuilt lazily after a create or delete, so a page deep
  // into 100,000 spaces is a slice rather than a walk.
  const snapshots = new Map<CollectionKey, CmsObject[]>();

  function emit(key: CollectionKey | 'cospaceBulkSyncs', id: string, op: string) {
    if (op !== 'update' && key !== 'cospaceBulkSyncs') snapshots.delete(key);
    for (const listener of changeListeners) listener({ key, id, op });
  }

  function snapshot(key: CollectionKey): CmsObject[] {
    let list = snapshots.get(key);
    if (!list) {
      list = [...collections[key].values()];
      snapshots.set(key, list);
    }
    return list;
  }

  function get(key: CollectionKey, id: string): CmsObject {
    const obj = collections[key].get(id);
    if (!obj) throw cmsNotFound(schemas[key].notFound);
    return obj;
  }

  function validateSpaceValues(v: Record<string, string>) {
    for (const name of ['uri', 'secondaryUri'] as const) {
      if (v[name] !== undefined && /[@\s]/.test(v[name])) throw parameterError(name);
    }
    if (v.callId !== undefined && !/^\d+$/.test(v.callId)) throw parameterError('callId');
    if (v.cdrTag !== undefined && v.cdrTag.length > 100) throw parameterError('cdrTag');
  }

  function unusedCallId(): string {
    for (;;) {
      const candidate = String(100_000_000 + Math.floor(Math.random() * 900_000_000));
      if (!callIdOwners.has(candidate)) return candidate;
    }
  }

  function createSpace(form: Form, extra: { bulkSet?: string } = {}): CmsObject {
    const schema = schemas.coSpaces;
    const v: Record<string, string> = {};
    applyForm(schema, v, form, true);
    delete v.secret;
    const secret = form.get('secret');
    if (form.get('requireCallId') === 'true' && !v.callId) v.callId = unusedCallId();
    validateSpaceValues(v);
    // The secret exists only when the space can be reached by call ID (R1.7 rule).
    if (secret) v.secret = secret;
    else if (v.callId) v.secret = newSecret();
    const obj: CmsObject = { id: randomUUID(), v: ordered(schema, v), bulkSet: extra.bulkSet };
    checkUnique(obj, undefined);
    collections.coSpaces.set(obj.id, obj);
    indexObject(obj, true);
    emit('coSpaces', obj.id, 'create');
    return obj;
  }

  function updateSpace(id: string, form: Form): CmsObject {
    const obj = get('coSpaces', id);
    const v = { ...obj.v };
    applyForm(schemas.coSpaces, v, form, false);
    if (form.get('requireCallId') === 'true' && !v.callId) v.callId = unusedCallId();
    validateSpaceValues(v);
    if (form.get('regenerateSecret') === 'true' || (v.callId && !v.secret)) v.secret = newSecret();
    const candidate: CmsObject = { ...obj, v: ordered(schemas.coSpaces, v) };
    checkUnique(candidate, obj);
    indexObject(obj, false);
    obj.v = candidate.v;
    indexObject(obj, true);
    emit('coSpaces', id, 'update');
    return obj;
  }

  function removeSpace(id: string) {
    const obj = get('coSpaces', id);
    indexObject(obj, false);
    collections.coSpaces.delete(id);
    for (const key of ['accessMethods', 'coSpaceUsers'] as const) {
      for (const child of collections[key].values()) {
        if (child.parent !== id) continue;
        indexObject(child, false);
        collections[key].delete(child.id);
      }
    }
    emit('coSpaces', id, 'delete');
  }

  function createChild(key: 'accessMethods' | 'coSpaceUsers', spaceId: string, form: Form): CmsObject {
    get('coSpaces', spaceId);
    const schema = schemas[key];
    const v: Record<string, string> = {};
    applyForm(schema, v, form, true);
    if (key === 'accessMethods') {
      validateSpaceValues(v);
      if (!v.secret && v.callId) v.secret = newSecret();
    }
    const obj: CmsObject = { id: randomUUID(), v: ordered(schema, v), parent: spaceId };
    if (key === 'accessMethods') checkUnique(obj, undefined);
    collections[key].set(obj.id, obj);
    if (key === 'accessMethods') indexObject(obj, true);
    emit(key, obj.id, 'create');
    return obj;
  }

  function getChild(key: 'accessMethods' | 'coSpaceUsers', spaceId: string, id: string): CmsObject {
    get('coSpaces', spaceId);
    const obj = collections[key].get(id);
    if (!obj || obj.parent !== spaceId) throw cmsNotFound(schemas[key].notFound);
    return obj;
  }

  function updateChild(key: 'accessMethods' | 'coSpaceUsers', spaceId: string, id: string, form: Form): CmsObject {
    const obj = getChild(key, spaceId, id);
    const schema = schemas[key];
    const v = { ...obj.v };
    // userJid is fixed once a member exists.
    if (key === 'coSpaceUsers') form.delete('userJid');
    applyForm(schema, v, form, false);
    if (key === 'accessMethods') {
      validateSpaceValues(v);
      if (form.get('regenerateSecret') === 'true' || (v.callId && !v.secret)) v.secret = newSecret();
      const candidate: CmsObject = { ...obj, v: ordered(schema, v) };
      checkUnique(candidate, obj);
      indexObject(obj, false);
      obj.v = candidate.v;
      indexObject(obj, true);
    } else {
      obj.v = ordered(schema, v);
    }
    emit(key, id, 'update');
    return obj;
  }

  function removeChild(key: 'accessMethods' | 'coSpaceUsers', spaceId: string, id: string) {
    const obj = getChild(key, spaceId, id);
    if (key === 'accessMethods') indexObject(obj, false);
    collections[key].delete(id);
    emit(key, id, 'delete');
  }

  function create(key: CollectionKey, form: Form): CmsObject {
    if (key === 'coSpaces') return createSpace(form);
    const schema = schemas[key];
    const v: Record<string, string> = {};
    applyForm(schema, v, form, true);
    if (key === 'cospaceBulkParameterSets') validateMappings(v);
    if (key === 'callBridges') checkBridgeName(v.name, undefined);
    const obj: CmsObject = { id: randomUUID(), v: ordered(schema, v) };
    collections[key].set(obj.id, obj);
    emit(key, obj.id, 'create');
    return obj;
  }

  function update(key: CollectionKey, id: string, form: Form): CmsObject {
    if (key === 'coSpaces') return updateSpace(id, form);
    const obj = get(key, id);
    const schema = schemas[key];
    const v = { ...obj.v };
    applyForm(schema, v, form, false);
    if (key === 'cospaceBulkParameterSets') validateMappings(v);
    if (key === 'callBridges') checkBridgeName(v.name, id);
    obj.v = ordered(schema, v);
    emit(key, id, 'update');
    return obj;
  }

  function remove(key: CollectionKey, id: string) {
    if (key === 'coSpaces') return removeSpace(id);
    get(key, id);
    collections[key].delete(id);
    emit(key, id, 'delete');
  }

  function checkBridgeName(name: string | undefined, self: string | undefined) {
    if (!name) return;
    for (const bridge of collections.callBridges.values()) {
      if (bridge.id !== self && bridge.v.name === name) throw cmsFailure('duplicateCallBridgeName');
    }
  }

  // ---- bulk spaces -------------------------------------------------------------------------------

  function validateMappings(v: Record<string, string>) {
    for (const name of ['coSpaceUriMapping', 'coSpaceNameMapping', 'coSpaceCallIdMapping']) {
      const mapping = v[name];
      if (mapping === undefined) continue;
      if (expandMapping(mapping, 0) === undefined) throw parameterError(name);
      if (name === 'coSpaceUriMapping' && expandMapping(mapping, 0)!.includes('@')) throw parameterError(name);
    }
  }

  function createBulkSync(form: Form, now: number): BulkSync {
    const parameterSet = form.get('cospaceBulkParameterSet') ?? '';
    if (!parameterSet) throw parameterError('cospaceBulkParameterSet', 'missing');
    const removeAll = form.get('removeAll');
    if (removeAll !== undefined && removeAll !== '' && removeAll !== 'true' && removeAll !== 'false') throw parameterError('removeAll');
    const sync: BulkSync = { id: randomUUID(), parameterSet, status: 'pending', createdAt: now };
    if (removeAll) sync.removeAll = removeAll;
    bulkSyncs.set(sync.id, sync);
    emit('cospaceBulkSyncs', sync.id, 'create');
    return sync;
  }

  /** Runs a queued sync to its final status; the set is read now, not when the sync was queued. */
  function runBulkSync(sync: BulkSync): void {
    const set = collections.cospaceBulkParameterSets.get(sync.parameterSet);
    sync.status = set ? executeBulk(set, sync.removeAll === 'true') : 'failedNoSuchParameterSet';
    emit('cospaceBulkSyncs', sync.id, 'update');
  }

  function executeBulk(set: CmsObject, removeAll: boolean): BulkSyncStatus {
    const previous = [...collections.coSpaces.values()].filter((s) => s.bulkSet === set.id);
    if (removeAll) {
      for (const space of previous) removeSpace(space.id);
      return 'complete';
    }
    const start = Number(set.v.startIndex);
    const end = Number(set.v.endIndex);
    if (!(start <= end)) return 'failedIndexRangeInvalid';
    if (end - start + 1 > bulkMaxRange) return 'failedIndexRangeTooGreat';
    const previousSet = new Set(previous);
    const uris = new Set<string>();
    const callIds = new Set<string>();
    const planned: Array<{ uri?: string; name?: string; callId?: string }> = [];
    for (let index = start; index <= end; index++) {
      const uri = set.v.coSpaceUriMapping ? expandMapping(set.v.coSpaceUriMapping, index) : undefined;
      const callId = set.v.coSpaceCallIdMapping ? expandMapping(set.v.coSpaceCallIdMapping, index) : undefined;
      const name = set.v.coSpaceNameMapping ? expandMapping(set.v.coSpaceNameMapping, index) : undefined;
      if (uri) {
        const key = uri.toLowerCase();
        if (uris.has(key) || (uriOwners.get(key) ?? []).some((o) => !previousSet.has(o))) return 'failedCoSpaceUriConflict';
        uris.add(key);
      }
      if (callId) {
        if (!/^\d+$/.test(callId)) return 'failed';
        if (callIds.has(callId) || (callIdOwners.get(callId) ?? []).some((o) => !previousSet.has(o))) return 'failedCallIdConflict';
        callIds.add(callId);
      }
      planned.push({ uri, name, callId });
    }
    for (const space of previous) removeSpace(space.id);
    for (const plan of planned) {
      const form: Form = new Map();
      if (plan.name !== undefined) form.set('name', plan.name);
      if (plan.uri) form.set('uri', plan.uri);
      if (plan.callId) form.set('callId', plan.callId);
      for (const name of ['tenant', 'callProfile', 'callLegProfile', 'callBrandingProfile', 'nonMemberAccess']) {
        const value = set.v[name];
        // A profile deleted since the set was written is dropped rather than failing the whole sync.
        if (value !== undefined && (name === 'nonMemberAccess' || collections[schemas.coSpaces.refs![name]!].has(value))) form.set(name, value);
      }
      createSpace(form, { bulkSet: set.id });
    }
    return 'complete';
  }

  return {
    collections,
    systemProfiles,
    bulkSyncs,
    uriOwners,
    callIdOwners,
    lenientBooleans: lenient,
    get,
    snapshot,
    /** For code that replaced an object's id in place (the seeded Call Bridge table). */
    touch: (key: CollectionKey) => snapshots.delete(key),
    create,
    update,
    remove,
    createChild,
    getChild,
    updateChild,
    removeChild,
    createBulkSync,
    runBulkSync,
    ordered,
    normalise,
    applyForm,
    onChange(listener: (event: { key: CollectionKey | 'cospaceBulkSyncs'; id: string; op: string }) => void) {
      changeListeners.push(listener);
    },
    /** Space and (if any) access method a dialled URI user part or call ID leads to. */
    resolve(by: 'uri' | 'callId', value: string): CmsObject[] {
      return (by === 'uri' ? uriOwners : callIdOwners).get(value.toLowerCase()) ?? [];
    },
  };
}

/**
 * Expands a bulk mapping: `$index$` becomes the index, `\\` and `\$` are escapes; any other `$` or `\`
 * makes the mapping invalid (undefined).
 */
export function expandMapping(mapping: string, index: number): string | undefined {
  let out = '';
  for (let i = 0; i < mapping.length; i++) {
    const ch = mapping[i];
    if (ch === '\\') {
      const next = mapping[i + 1];
      if (next !== '\\' && next !== '$') return undefined;
      out += next;
      i++;
    } else if (ch === '$') {
      if (!mapping.startsWith('$index$', i)) return undefined;
      out += String(index);
      i += 6;
    } else {
      out += ch;
    }
  }
  return out;
}
