import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../platform/clock.ts';
import { createUcClusterSimulator, type UcClusterSimulator } from './uc.simulator.ts';

// S4 on the wire: PAWS with a reboot on the clock, AXL faults, CUPI's 400/405 rules, publisher only.
describe('UC cluster simulator', () => {
  const clock = new ManualClock('2026-01-01T00:00:00Z');
  let cucm: UcClusterSimulator;
  let cuc: UcClusterSimulator;
  before(async () => {
    cucm = createUcClusterSimulator({ name: 'cm', type: 'CUCM', nodes: 2, clock, rebootMs: 60_000 });
    cuc = createUcClusterSimulator({ name: 'cuc', type: 'CUC', nodes: 2, clock, rebootMs: 0 });
    await cucm.start();
    await cuc.start();
  });
  after(async () => {
    await cucm.stop();
    await cuc.stop();
  });
  const basic = (c: { username: string; password: string }) => `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
  const paws = (url: string, inner: string, sim = cucm) =>
    fetch(`${url}/platform-services/services/DeploymentModeService`, { method: 'POST', headers: { authorization: basic(sim.platform), 'content-type': 'application/soap+xml' }, body: `<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:ns="http://services.api.platform.vos.cisco.com"><soap:Body>${inner}</soap:Body></soap:Envelope>` });
  const axl = (url: string, op: string, inner = '', auth = basic(cucm.admin)) =>
    fetch(`${url}/axl/`, { method: 'POST', headers: { authorization: auth, 'content-type': 'text/xml' }, body: `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ns="http://www.cisco.com/AXL/API/12.5"><soapenv:Body><ns:${op}>${inner}</ns:${op}></soapenv:Body></soapenv:Envelope>` });
  const cupi = (url: string, method: string, path: string, body?: unknown) => fetch(`${url}/vmrest${path}`, { method, headers: { authorization: basic(cuc.admin), accept: 'application/json', 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

  test('PAWS changes the deployment mode and the publisher is down until the clock passes the reboot', async () => {
    const get = await paws(cucm.publisherUrl, '<ns:getDeploymentMode/>');
    assert.match(await get.text(), /<ns:return>Enterprise<\/ns:return>/);
    const set = await paws(cucm.publisherUrl, '<ns:setDeploymentMode><ns:args0>HCS</ns:args0></ns:setDeploymentMode>');
    assert.equal(set.status, 200);
    await assert.rejects(paws(cucm.publisherUrl, '<ns:getDeploymentMode/>'), 'rebooting publisher refuses connections');
    clock.advance(60_000);
    assert.match(await (await paws(cucm.publisherUrl, '<ns:getDeploymentMode/>')).text(), />HCS</);
    const wrongCreds = await fetch(`${cucm.publisherUrl}/platform-services/services/DeploymentModeService`, { method: 'POST', headers: { authorization: basic(cucm.admin) }, body: '' });
    assert.equal(wrongCreds.status, 401);
  });

  test('AXL answers version anywhere, refuses licensing on a subscriber with an axlError, and registration without a CSSM fails', async () => {
    assert.match(await (await axl(cucm.nodes[1]!.url, 'getCCMVersion')).text(), /<version>12\.5/);
    const sub = await axl(cucm.nodes[1]!.url, 'getSmartLicenseStatus');
    assert.equal(sub.status, 500);
    assert.match(await sub.text(), /<axlError><axlcode>-1<\/axlcode><axlmessage>Smart Licensing operations are not allowed from Subscriber node/);
    const status = await (await axl(cucm.publisherUrl, 'getSmartLicenseStatus')).text();
    assert.match(status, /<Registration><Status>Unregistered<\/Status>/);
    assert.match(status, /<Authorization><Status>Evaluation Mode<\/Status><EvaluationPeriodRemaining>89:23:59|<EvaluationPeriodRemaining>89:/);
    const reg = await axl(cucm.publisherUrl, 'doSmartLicenseRegister', '<token>abc</token><force>false</force>');
    assert.equal(reg.status, 500);
    assert.equal((await axl(cucm.publisherUrl, 'getCCMVersion', '', basic({ username: 'x', password: 'y' }))).status, 401);
    clock.advance(91 * 86_400_000);
    assert.match(await (await axl(cucm.publisherUrl, 'getSmartLicenseStatus')).text(), /Evaluation Expired/);
  });

  test('CUPI validates transport settings (0–2, port 1–65535), refuses a subscriber with 405', async () => {
    assert.equal((await cupi(cuc.publisherUrl, 'PUT', '/smartlicense/transportsettings', { transportMode: '5' })).status, 400);
    assert.equal((await cupi(cuc.publisherUrl, 'PUT', '/smartlicense/transportsettings', { transportMode: '2', httpHost: 'proxy', httpPort: '70000' })).status, 400);
    assert.equal((await cupi(cuc.publisherUrl, 'PUT', '/smartlicense/transportsettings', { transportMode: '2', httpHost: 'proxy', httpPort: '8080' })).status, 200);
    const t = (await (await cupi(cuc.publisherUrl, 'GET', '/smartlicense/transportsettings')).json()) as any;
    assert.equal(t.TransportSetting.transportMode, '2');
    assert.equal((await cupi(cuc.nodes[1]!.url, 'PUT', '/smartlicense/register', { token: 'x', force: 'false' })).status, 405);
    assert.equal((await cupi(cuc.publisherUrl, 'PUT', '/smartlicense/deregister')).status, 405, 'deregister while unregistered');
  });
});
