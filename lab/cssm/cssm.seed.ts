import type { CssmSimulator } from './cssm.simulator.ts';

// The Lab's smart account, shaped like the seed's: 1,285 virtual accounts (HCS-DEMO and
// "BU Production Test" among them), some associated with a satellite, a few PRIVATE, and licences
// in the VAs clusters are assigned to, so the dashboard shows usage against real quantities.
export const LAB_DOMAIN = 'lab-hcs.example.com';
export const LAB_SMART_ACCOUNT = 'HCS Lab Partner';

export function seedLabSmartAccount(sim: CssmSimulator, options: { domain?: string; name?: string; virtualAccounts?: number; satelliteEvery?: number } = {}) {
  const domain = options.domain ?? LAB_DOMAIN;
  const total = options.virtualAccounts ?? 1285;
  const satelliteEvery = options.satelliteEvery ?? 20;
  sim.addSmartAccount({ domain, name: options.name ?? LAB_SMART_ACCOUNT });
  const fixed = ['HCS-DEMO', 'BU Production Test', 'va-hcs-ordered', 'va-hcs-operational'];
  let satellite = 0;
  for (let i = 0; i < total; i++) {
    const onSatellite = i >= fixed.length && i % satelliteEvery === 0;
    if (onSatellite) satellite++;
    const name = fixed[i] ?? `Customer ${String(i - fixed.length + 1).padStart(4, '0')}`;
    sim.addVirtualAccount(domain, {
      name,
      description: i < fixed.length ? `${name} virtual account` : `Hosted customer ${i - fixed.length + 1}`,
      isDefault: i === 0,
      commerceAccessLevel: i % 7 === 3 ? 'PRIVATE' : 'PUBLIC',
      satelliteName: onSatellite ? 'satellite-ams-01' : null,
    });
  }
  for (const va of ['HCS-DEMO', 'BU Production Test', 'va-hcs-operational']) {
    sim.addLicenses(domain, va, [
      { license: 'HUCM_Foundation', quantity: 500 },
      { license: 'HUCM_Standard', quantity: 100 },
      { license: 'UCM_Enhanced', quantity: 200 },
      { license: 'UCM_Basic', quantity: 50 },
      { license: 'HCUC_BasicMessaging', quantity: 300 },
      { license: 'CUC_BasicMessaging', quantity: 100 },
    ]);
  }
  return { domain, satellite };
}
