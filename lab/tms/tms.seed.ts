import { formatUtc } from '../../meetings/tmsba/tmsba.mapping.ts';
import type { TmsSimulator } from './tms.simulator.ts';

// What the Lab TMS holds on a clean start (#16 part 2), relative to the clock so it is always in the
// import horizon: one MCU system per Lab CMS (named by the address Switchboard knows it by), two
// endpoints with SIP URIs, one MCU Switchboard has no bridge for, and the bookings the import must
// handle — single, a weekly series with a deleted and a moved meeting, a defective one, an ongoing
// one and one on the unmappable MCU.

export type TmsSeed = { mcus: number[]; room: number; desk: number; unmappable: number; single: number; series: number; defective: number; ongoing: number; onUnmappable: number };

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();
/** Times inside a pattern as TMS writes them on the wire. */
const wire = (ms: number) => formatUtc(new Date(ms), 22);

export function seedTmsLab(sim: TmsSimulator, options: { now: Date; cmsAddresses: string[] }): TmsSeed {
  const mcus = options.cmsAddresses.map((address, n) => sim.addSystem({ SystemName: `CMS ${n + 1}`, SystemType: 'Cisco Meeting Server', NetworkAddress: address, SystemCategory: 'Equipment' }).SystemId);
  const room = sim.addSystem({ SystemName: 'Oslo Room Kit', SystemType: 'Cisco Webex Room Kit', NetworkAddress: '10.47.1.20', SIPUri: 'oslo.room@lab.local', SystemCategory: 'Room' }).SystemId;
  const desk = sim.addSystem({ SystemName: 'Desk Pro Alice', SystemType: 'Cisco Webex Desk Pro', NetworkAddress: '10.47.1.21', SIPUri: 'sip:alice.desk@lab.local', SystemCategory: 'Endpoint' }).SystemId;
  const unmappable = sim.addSystem({ SystemName: 'Codian MCU 4510', SystemType: 'Cisco TelePresence MCU 4510', NetworkAddress: '10.47.0.99', SystemCategory: 'Equipment' }).SystemId;

  // Whole hours, tomorrow on: meetings never straddle the clock's "now" by accident.
  const base = Math.ceil(options.now.getTime() / HOUR) * HOUR + DAY;
  const mcu = mcus[0];
  const single = sim.book({ Title: 'Board meeting', start: iso(base + 10 * HOUR), end: iso(base + 11 * HOUR), OwnerUserName: 'anna', systemIds: [mcu, room], external: [{ NameOrNumber: 'bob@example.com', ParticipantCallType: 'SIP ->' }] }).ConferenceId;
  const first = base + 2 * DAY + 9 * HOUR;
  const at = (n: number) => new Date(first + n * 7 * DAY);
  const series = sim.book({
    Title: 'Weekly ops review',
    start: iso(first),
    end: iso(first + HOUR),
    OwnerUserName: 'olav',
    systemIds: [mcu, desk],
    external: [{ NameOrNumber: 'Dial-in guests', ParticipantCallType: 'SIP <-' }],
    pattern: {
      FrequencyType: 'Weekly', Interval: 1, DaysOfWeek: { DayOfWeek: [['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'][at(0).getUTCDay()] as 'Monday'] }, FirstDayOfWeek: 'Sunday',
      BySetPosition: 0, PatternEndType: 'EndByInstances', PatternInstances: 8,
      Exceptions: {
        RecurrenceException: [
          { ExceptionType: 'DELETE', RecurrenceIdUTC: wire(at(2).getTime()), RecurrenceIdRange: 'None', ModifiedMask: 0 },
          { ExceptionType: 'MODIFY', RecurrenceIdUTC: wire(at(3).getTime()), RecurrenceIdRange: 'None', ModifiedMask: 1, ModifiedData: { StartTimeUTC: wire(at(3).getTime() + 2 * HOUR), EndTimeUTC: wire(at(3).getTime() + 3 * HOUR) } },
        ],
      },
    },
  }).ConferenceId;
  const defective = sim.book({ Title: 'Sales kickoff (defective)', start: iso(base + 13 * HOUR), end: iso(base + 14 * HOUR), OwnerUserName: 'anna', systemIds: [mcu], external: [], defective: true }).ConferenceId;
  const now = options.now.getTime();
  const ongoing = sim.book({ Title: 'All hands (running)', start: iso(now - 30 * 60_000), end: iso(now + 90 * 60_000), OwnerUserName: 'olav', systemIds: [mcu], external: [] }).ConferenceId;
  const onUnmappable = sim.book({ Title: 'Legacy MCU call', start: iso(base + 15 * HOUR), end: iso(base + 16 * HOUR), OwnerUserName: 'anna', systemIds: [unmappable, room], external: [] }).ConferenceId;
  return { mcus, room, desk, unmappable, single, series, defective, ongoing, onUnmappable };
}
