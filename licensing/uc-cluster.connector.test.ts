import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../platform/clock.ts';
import { createUcClusterSimulator, defaultAxlVersions, type UcClusterSimulator } from '../lab/cucm/uc.simulator.ts';
import { axlSchemaFor, createUcClusterConnector } from './uc-cluster.connector.ts';

// AXL clients speak a schema version the publisher supports: the connector starts from the
// cluster's stored version, falls back through the versions the publisher answers, and keeps the
// newest not newer than the version the publisher reports.
describe('UC cluster connector: AXL schema version', () => {
  const clock = new ManualClock('2026-01-01T00:00:00Z');
  const sims: UcClusterSimulator[] = [];
  const cucm = async (name: string, version: string) => {
    const sim = createUcClusterSimulator({ name, type: 'CUCM', version, clock, rebootMs: 0 });
    await sim.start();
    sims.push(sim);
    return sim;
  };
  const connect = (sim: UcClusterSimulator, versionHint?: string) => createUcClusterConnector({ type: 'CUCM', publisherUrl: sim.publisherUrl, admin: sim.admin, platform: sim.platform, versionHint });
  after(async () => {
    for (const sim of sims) await sim.stop();
  });

  test('schema for a product version; the simulator answers its release and two majors back', () => {
    assert.equal(axlSchemaFor('15.0.1.10000-1'), '15.0');
    assert.equal(axlSchemaFor('14.0.1.13900-155'), '14.0');
    assert.equal(axlSchemaFor('12.5.1.11900-146'), '12.5');
    assert.equal(axlSchemaFor('12.5'), '12.5');
    assert.equal(axlSchemaFor('11.5'), '11.5');
    assert.equal(axlSchemaFor('nonsense'), null);
    assert.deepEqual(defaultAxlVersions('15.0.1.10000-1'), ['14.0', '15.0']);
    assert.deepEqual(defaultAxlVersions('12.5.1.11900-146'), ['10.0', '10.5', '11.0', '11.5', '12.0', '12.5']);
  });

  test('a CUCM 15 publisher (no 12.5 schema) is read with 15.0', async () => {
    const sim = await cucm('v15', '15.0.1.10000-1');
    const c = connect(sim, '15.0');
    assert.equal(await c.version(), '15.0.1.10000-1');
    assert.equal((await c.status()).registration, 'Unregistered');
    assert.equal(c.axlSchema(), '15.0');
    await c.close();
  });

  test('a stored version that is out of date: the refused schema falls back, then the reported version decides', async () => {
    const sim = await cucm('v14', '14.0.1.13900-155');
    sim.setBehaviour({ axlVersions: ['14.0'] });
    const c = connect(sim, '12.5');
    assert.equal(await c.version(), '14.0.1.13900-155');
    assert.equal(c.axlSchema(), '14.0');
    assert.equal((await c.getTransport()).mode, 'Direct');
    await c.close();
  });

  test('a publisher that answers only an older schema is spoken to in it; no hint starts from the newest', async () => {
    const sim = await cucm('v125', '12.5.1.11900-146');
    sim.setBehaviour({ axlVersions: ['11.5'] });
    const c = connect(sim);
    assert.equal(await c.version(), '12.5.1.11900-146');
    assert.equal(c.axlSchema(), '11.5');
    assert.equal((await c.status()).registration, 'Unregistered');
    await c.close();
  });
});
