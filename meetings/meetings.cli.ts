import fs from 'node:fs';
import type { Command } from 'commander';
import { CliError, USAGE_EXIT_CODE } from '../platform/cli/cli-error.ts';
import { apiClientFromEnvironment } from '../platform/cli/credentials.ts';
import { formatTime, listingOptions, parseInteger, printFields, printJson, printPage, printTable, type Page } from '../platform/cli/output.ts';
import { promptSecret } from '../platform/cli/prompt.ts';
import { followJob } from '../platform/cli/watch-job.ts';
import { MappingFileError, parseMappingFile } from './tms-import.mapping-file.ts';

// `switchboard bridges|bookings|meetings …` (M1–M15) over the REST API.

const P = '/api/v1/meetings';
type Row = Record<string, any>;
const list = (v: string, prev: string[] = []) => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

function printCertificate(c: Row, print: (line: string) => void = console.log) {
  print(`  Subject:     ${c.subject}`);
  print(`  Issuer:      ${c.issuer}`);
  print(`  Valid:       ${formatTime(c.validFrom)} to ${formatTime(c.validTo)}`);
  print(`  SHA-256:     ${c.fingerprint}`);
}

const certificateColumn = (n: Row) => {
  if (n.presentedCertificate) return `CHANGED: presents ${n.presentedCertificate.fingerprint} (accept-certificate)`;
  if (n.certificateTrust === 'ca') return 'CA';
  if (n.certificateTrust === 'pinned') return `pinned ${n.certificateFingerprint}`;
  return /^https:/.test(n.address) ? 'pinned on first contact' : 'plain HTTP';
};

export function registerMeetingsCommands(program: Command) {
  const bridges = program.command('bridges').description('Cisco Meeting Server bridges (M1–M7, M15)');

  listingOptions(bridges.command('list').description('List bridges')).action(async (o: { limit: number; offset: number; json?: boolean }) => {
    const page = await apiClientFromEnvironment().get<Page<Row>>(`${P}/bridges`, { limit: o.limit, offset: o.offset });
    if (o.json) return printJson(page);
    printPage(page, [
      { header: 'ID', value: (b) => b.id },
      { header: 'NAME', value: (b) => b.name || `No Name (${b.address})` },
      { header: 'ADDRESS', value: (b) => b.address },
      { header: 'STATUS', value: (b) => b.status },
      { header: 'CONNECTIVITY', value: (b) => b.connectivity },
      { header: 'POOL', value: (b) => `${b.poolSize} (${b.poolState})` },
      { header: 'VERSION', value: (b) => b.softwareVersion },
    ], 'bridges');
  });

  bridges
    .command('add')
    .description('Add one or several CMS (comma-separated, host:port allowed); the password is asked for')
    .argument('<addresses>', 'e.g. 10.0.0.1:445,cms2.example.net')
    .requiredOption('--username <name>', 'API user')
    .option('--http', 'plain HTTP (lab), not HTTPS')
    .option('--name <name>', 'system name')
    .option('--ip-zone <zone>')
    .option('--time-zone <zone>', 'IANA time zone', 'UTC')
    .option('--trust-fingerprint <sha256>', 'the SHA-256 fingerprint of the bridge\'s certificate you checked: pinned (needed when no trusted CA vouches for it)')
    .option('--json')
    .action(async (address: string, o: { username: string; http?: boolean; name?: string; ipZone?: string; timeZone: string; trustFingerprint?: string; json?: boolean }) => {
      const password = await promptSecret('Password: ');
      let res: { items: Row[] };
      try {
        res = await apiClientFromEnvironment().post<{ items: Row[] }>(`${P}/bridges`, { address, username: o.username, password, tls: !o.http, name: o.name, ipZone: o.ipZone, timeZone: o.timeZone, trustFingerprint: o.trustFingerprint });
      } catch (error) {
        const certificate = error instanceof CliError && error.code === 'CERTIFICATE_NOT_TRUSTED' ? (error.details as { certificate?: Row } | undefined)?.certificate : undefined;
        if (!certificate || !(error instanceof CliError)) throw error;
        // What the operator compares with the bridge's own certificate before trusting it.
        console.error('The bridge presents a certificate no trusted CA vouches for:');
        printCertificate(certificate, console.error);
        throw new CliError(error.code, error.message, { trackingId: error.trackingId, details: error.details, hint: `If this is the bridge's certificate, run the command again with --trust-fingerprint ${certificate.fingerprint}` });
      }
      if (o.json) return printJson(res);
      printTable([
        { header: 'ADDRESS', value: (r: Row) => r.address },
        { header: 'SYSTEM NAME', value: (r) => r.systemName },
        { header: 'TYPE', value: (r) => r.systemType },
        { header: 'DESCRIPTION', value: (r) => r.description, maxWidth: 90 },
      ], res.items);
      for (const r of res.items.filter((i) => i.certificate)) console.log(`${r.address}: certificate ${r.certificate.trust === 'ca' ? 'trusted by a CA' : 'pinned'}, SHA-256 ${r.certificate.fingerprint}`);
    });

  bridges
    .command('accept-certificate')
    .argument('<bridge>', 'bridge id')
    .argument('<node>', 'node id or name (see bridges show)')
    .requiredOption('--fingerprint <sha256>', 'the SHA-256 fingerprint of the certificate the node presents now (the Certificate Changed ticket names it)')
    .option('--json')
    .description('Accept a node\'s new certificate (a renewed one): it is pinned and the Certificate Changed ticket closes (M1, M2)')
    .action(async (bridgeId: string, nodeRef: string, o: { fingerprint: string; json?: boolean }) => {
      const client = apiClientFromEnvironment();
      const nodes = (await client.get<{ items: Row[] }>(`${P}/bridges/${bridgeId}/nodes`)).items;
      const node = nodes.find((n) => n.id === nodeRef) ?? nodes.find((n) => n.name === nodeRef);
      if (!node) throw new Error(`No node ${nodeRef} in this bridge (${nodes.map((n) => n.name).join(', ')}).`);
      const updated = await client.post<Row>(`${P}/bridges/${bridgeId}/nodes/${node.id}/certificate/accept`, { fingerprint: o.fingerprint });
      if (o.json) return printJson(updated);
      console.log(`${updated.name}: certificate ${updated.certificateTrust === 'ca' ? 'trusted by a CA' : 'pinned'}, SHA-256 ${updated.certificateFingerprint}.`);
    });

  bridges
    .command('show')
    .argument('<id>')
    .option('--json')
    .description('A bridge: status, tickets, cluster nodes')
    .action(async (id: string, o: { json?: boolean }) => {
      const b = await apiClientFromEnvironment().get<Row>(`${P}/bridges/${id}`);
      if (o.json) return printJson(b);
      printFields([
        ['Name', b.name || `No Name (${b.address})`], ['System type', b.systemType], ['Status', b.status], ['Connectivity', b.connectivity],
        ['Address', b.address], ['Software version', b.softwareVersion], ['Uptime (s)', b.uptimeSeconds],
        ['Call legs active / max / completed', `${b.callLegsActive ?? '-'} / ${b.callLegsMaxActive ?? '-'} / ${b.callLegsCompleted ?? '-'}`],
        ['Pool', `${b.poolSize} slots (${b.poolState})`], ['This week\'s bookings', b.weekBookings],
        ['API requests at once per node', b.maxConcurrentRequests ?? 'default (SWITCHBOARD_BRIDGE_MAX_CONCURRENT_REQUESTS)'],
      ]);
      console.log(b.tickets.length ? '\nTickets:' : '\nSystem has no open or acknowledged tickets');
      for (const t of b.tickets) console.log(`  #${t.id} - ${t.title} (${formatTime(t.openedAt)})\n    ${t.detail}`);
      console.log('\nClustering:');
      printTable([{ header: 'NODE', value: (n: Row) => n.name }, { header: 'ADDRESS', value: (n) => `${n.address}${n.addressOverride ? ' (entered)' : ''}` }, { header: 'ADVERTISED', value: (n) => n.advertisedAddress ?? '' }, { header: 'PRIMARY', value: (n) => (n.primary ? '✓' : '') }, { header: 'HEALTHY', value: (n) => (n.healthy ? 'yes' : `no: ${n.lastError ?? ''}`) }, { header: 'CERTIFICATE', value: (n) => certificateColumn(n) }], b.nodes);
    });

  bridges
    .command('set')
    .argument('<id>')
    .description('Edit settings (M4); pool settings start a pool sync that is followed')
    .option('--name <name>')
    .option('--sip-domain <domain>')
    .option('--numeric-id-base <n>', 'first numeric ID', parseInteger(0, 9_999_999_999))
    .option('--numeric-id-quantity <n>', 'meeting slots', parseInteger(1, 10_000))
    .option('--allow-booking <yes|no>')
    .option('--alternate-address <address>', 'answers for the address the bridge was added by when that fails (M13); "" clears it')
    .option('--alternate-username <name>', 'default: the bridge\'s')
    .option('--alternate-password <password>', 'default: the bridge\'s')
    .option('--max-concurrent-requests <n|default>', 'API requests in flight at once to each node, all instances together (each sends its share); "default": SWITCHBOARD_BRIDGE_MAX_CONCURRENT_REQUESTS', (raw: string) => (raw === 'default' ? raw : parseInteger(1, 1000)(raw)))
    .option('--json')
    .action(async (id: string, o: { name?: string; sipDomain?: string; numericIdBase?: number; numericIdQuantity?: number; allowBooking?: string; alternateAddress?: string; alternateUsername?: string; alternatePassword?: string; maxConcurrentRequests?: number | 'default'; json?: boolean }) => {
      const client = apiClientFromEnvironment();
      const orNull = (value: string | undefined) => (value === undefined ? undefined : value === '' ? null : value);
      const b = await client.patch<Row>(`${P}/bridges/${id}`, { name: o.name, sipDomain: o.sipDomain, numericIdBase: o.numericIdBase, numericIdQuantity: o.numericIdQuantity, allowBooking: o.allowBooking === undefined ? undefined : o.allowBooking === 'yes', alternateAddress: orNull(o.alternateAddress), alternateUsername: orNull(o.alternateUsername), alternatePassword: orNull(o.alternatePassword), maxConcurrentRequests: o.maxConcurrentRequests === 'default' ? null : o.maxConcurrentRequests });
      if (b.poolSyncJobId) await followJob(client, b.poolSyncJobId);
      if (o.json) return printJson(b);
      console.log(`Saved ${b.name || b.address}.`);
    });

  bridges
    .command('node-address')
    .argument('<bridge>', 'bridge id')
    .argument('<node>', 'node id or name (see bridges show)')
    .argument('[address]', 'host, host:port or URL; a bare host uses the bridge\'s scheme')
    .option('--advertised', 'go back to the address the cluster advertises (with the bridge\'s scheme and port)')
    .option('--json')
    .description('Set how Switchboard reaches a node of the cluster (M4/M5)')
    .action(async (bridgeId: string, nodeRef: string, address: string | undefined, o: { advertised?: boolean; json?: boolean }) => {
      if (!address === !o.advertised) throw new Error('Give an address or --advertised.');
      const client = apiClientFromEnvironment();
      const nodes = (await client.get<{ items: Row[] }>(`${P}/bridges/${bridgeId}/nodes`)).items;
      const node = nodes.find((n) => n.id === nodeRef) ?? nodes.find((n) => n.name === nodeRef);
      if (!node) throw new Error(`No node ${nodeRef} in this bridge (${nodes.map((n) => n.name).join(', ')}).`);
      const updated = await client.patch<Row>(`${P}/bridges/${bridgeId}/nodes/${node.id}`, { address: o.advertised ? null : address });
      if (o.json) return printJson(updated);
      console.log(`${updated.name} is reached at ${updated.address}${updated.addressOverride ? ' (entered)' : ' (advertised)'}.`);
    });

  bridges
    .command('trace')
    .argument('<id>')
    .description('The bridge API trace (M15), newest first, secrets masked')
    .option('--method <m>')
    .option('--path <text>')
    .option('--status <n>')
    .option('--limit <n>', 'exchanges', parseInteger(1, 500), 50)
    .option('--json')
    .action(async (id: string, o: { method?: string; path?: string; status?: string; limit: number; json?: boolean }) => {
      const page = await apiClientFromEnvironment().get<Page<Row>>(`${P}/bridges/${id}/trace`, { method: o.method, path: o.path, status: o.status, limit: o.limit });
      if (o.json) return printJson(page);
      printPage(page, [
        { header: 'TIME', value: (e) => formatTime(e.at) }, { header: 'NODE', value: (e) => e.node }, { header: 'METHOD', value: (e) => e.method },
        { header: 'PATH', value: (e) => e.path, maxWidth: 70 }, { header: 'STATUS', value: (e) => e.status ?? e.error }, { header: 'SIZE', value: (e) => e.size },
        { header: 'BODY', value: (e) => e.requestBody, maxWidth: 80 },
      ], 'exchanges', { times: false });
    });

  bridges
    .command('routing')
    .description('Routing preference ("prefer CMS", M14): bridges automatic routing tries first, in order')
    .option('--prefer <ids>', 'bridge IDs in order, comma-separated or repeated (replaces the list)', list)
    .option('--clear', 'no preference: routing by zone, free slots and load only')
    .option('--json')
    .action(async (o: { prefer?: string[]; clear?: boolean; json?: boolean }) => {
      const client = apiClientFromEnvironment();
      if (o.prefer && o.clear) throw new CliError('USAGE', 'Give --prefer or --clear, not both.', { exitCode: USAGE_EXIT_CODE });
      const setting = o.prefer || o.clear ? await client.request<Row>('PUT', `${P}/settings/routing`, { body: { preferredBridgeIds: o.clear ? [] : o.prefer } }) : await client.get<Row>(`${P}/settings/routing`);
      if (o.json) return printJson(setting);
      if (setting.preferredBridgeIds.length === 0) return console.log('No preferred bridges: routing by zone, free slots and load.');
      const all = (await client.get<Page<Row>>(`${P}/bridges`, { limit: 500 })).items;
      printTable([
        { header: 'ORDER', value: (r: Row) => r.order },
        { header: 'ID', value: (r) => r.id },
        { header: 'NAME', value: (r) => r.name },
      ], setting.preferredBridgeIds.map((id: string, i: number) => ({ order: i + 1, id, name: all.find((b) => b.id === id)?.name || all.find((b) => b.id === id)?.address })));
    });

  const bookings = program.command('bookings').description('Bookings (M8, M14)');
  listingOptions(bookings.command('list').description('List bookings').option('--bridge <id>')).action(async (o: { bridge?: string; limit: number; offset: number; json?: boolean }) => {
    const page = await apiClientFromEnvironment().get<Page<Row>>(`${P}/bookings`, { bridgeId: o.bridge, limit: o.limit, offset: o.offset });
    if (o.json) return printJson(page);
    printPage(page, [
      { header: 'ID', value: (b) => b.id }, { header: 'TITLE', value: (b) => b.title, maxWidth: 40 }, { header: 'START', value: (b) => formatTime(b.startAt) },
      { header: 'END', value: (b) => formatTime(b.endAt) }, { header: 'ZONE', value: (b) => b.timeZone }, { header: 'RECURRENCE', value: (b) => b.recurrence }, { header: 'STATE', value: (b) => b.state },
    ], 'bookings');
  });
  bookings
    .command('create')
    .description('Book a meeting')
    .requiredOption('--title <title>')
    .requiredOption('--start <time>', 'wall time in --time-zone, e.g. 2026-03-02T10:00')
    .option('--end <time>')
    .option('--duration <minutes>', 'instead of --end', parseInteger(1, 10_080))
    .option('--time-zone <zone>', 'IANA time zone', Intl.DateTimeFormat().resolvedOptions().timeZone)
    .option('--dial-out <uris>', 'SIP URIs, comma-separated or repeated', list)
    .option('--passcode <digits>')
    .option('--early-join <minutes>', '', parseInteger(0, 60))
    .option('--recurrence <rrule>', 'RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=MO')
    .option('--bridge <id>', 'default: routed (zone, free slots, load)')
    .option('--zone <ipZone>')
    .option('--json')
    .action(async (o: Row) => {
      const b = await apiClientFromEnvironment().post<Row>(`${P}/bookings`, { title: o.title, start: o.start, end: o.end, durationMinutes: o.duration, timeZone: o.timeZone, dialOut: o.dialOut, passcode: o.passcode, earlyJoinMinutes: o.earlyJoin, recurrence: o.recurrence, bridgeId: o.bridge, zone: o.zone });
      if (o.json) return printJson(b);
      console.log(`Booked ${b.id}: ${b.occurrences} meeting(s) from ${formatTime(b.startAt)}.`);
    });
  bookings
    .command('occurrence')
    .description('Edit one meeting of a series: move it, cancel it, or give it its own dial-outs')
    .argument('<bookingId>')
    .argument('<occurrenceId>')
    .option('--start <time>', 'wall time in the booking\'s time zone')
    .option('--end <time>')
    .option('--dial-out <uris>', 'this meeting\'s SIP URIs, comma-separated or repeated', list)
    .option('--series-dial-out', 'dial the series\' list again')
    .option('--cancel')
    .option('--json')
    .action(async (bookingId: string, occurrenceId: string, o: { start?: string; end?: string; dialOut?: string[]; seriesDialOut?: boolean; cancel?: boolean; json?: boolean }) => {
      const dialOut = o.seriesDialOut ? null : o.dialOut;
      const occ = await apiClientFromEnvironment().patch<Row>(`${P}/bookings/${bookingId}/occurrences/${occurrenceId}`, { start: o.start, end: o.end, dialOut, cancel: o.cancel });
      if (o.json) return printJson(occ);
      console.log(`${occ.state === 'cancelled' ? 'Cancelled' : 'Saved'} the meeting of ${formatTime(occ.startAt)}; dials ${occ.dialOut ? occ.dialOut.join(', ') || 'nobody' : 'the series\' list'}.`);
    });
  bookings
    .command('changes')
    .description('The change feed: bookings created, edited, cancelled after --since (print the cursor to pass next time)')
    .option('--since <cursor>', 'the cursor of the previous call', parseInteger(0, Number.MAX_SAFE_INTEGER), 0)
    .option('--limit <n>', 'changes per page', parseInteger(1, 500), 100)
    .option('--json')
    .action(async (o: { since: number; limit: number; json?: boolean }) => {
      const page = await apiClientFromEnvironment().get<Row>(`${P}/bookings/changes`, { since: o.since, limit: o.limit });
      if (o.json) return printJson(page);
      printTable([
        { header: 'SEQ', value: (c: Row) => c.seq }, { header: 'CHANGE', value: (c) => c.change }, { header: 'AT', value: (c) => formatTime(c.at) },
        { header: 'BOOKING', value: (c) => c.bookingId }, { header: 'TITLE', value: (c) => c.booking?.title, maxWidth: 40 }, { header: 'BY', value: (c) => c.actor },
      ], page.items);
      console.log(`cursor ${page.cursor}${page.hasMore ? ' (more: run again with --since ' + page.cursor + ')' : ''}`);
    });
  bookings.command('cancel').argument('<id>').description('Cancel a booking').action(async (id: string) => {
    await apiClientFromEnvironment().delete(`${P}/bookings/${id}`);
    console.log(`Cancelled ${id}.`);
  });
  bookings.command('ical').argument('<id>').description('Print the booking as iCalendar').action(async (id: string) => {
    const res = await apiClientFromEnvironment().send<string>('GET', `${P}/bookings/${id}/ical`);
    process.stdout.write(String(res.body));
  });

  const meetings = program.command('meetings').description('Running meetings (M9–M13)');
  listingOptions(meetings.command('list').description('Meetings, by state').option('--state <states>', 'e.g. ongoing,scheduled', list)).action(async (o: { state?: string[]; limit: number; offset: number; json?: boolean }) => {
    const page = await apiClientFromEnvironment().get<Page<Row>>(`${P}/meetings`, { state: o.state, limit: o.limit, offset: o.offset });
    if (o.json) return printJson(page);
    printPage(page, [
      { header: 'ID', value: (m) => m.id }, { header: 'TITLE', value: (m) => m.title, maxWidth: 40 }, { header: 'STATE', value: (m) => m.state },
      { header: 'START', value: (m) => formatTime(m.startAt) }, { header: 'END', value: (m) => formatTime(m.endAt) }, { header: 'SLOT', value: (m) => m.slot },
    ], 'meetings');
  });
  meetings.command('show').argument('<id>').option('--json').description('A meeting with its legs and history').action(async (id: string, o: { json?: boolean }) => {
    const m = await apiClientFromEnvironment().get<Row>(`${P}/meetings/${id}`, { live: 'true' });
    if (o.json) return printJson(m);
    printFields([['Title', m.title], ['State', m.state], ['Start', formatTime(m.startAt)], ['End', formatTime(m.endAt)], ['Slot', m.slot], ['Call', m.callId], ['Failovers', m.failovers]]);
    printTable([{ header: 'PARTICIPANT', value: (l: Row) => l.remoteParty }, { header: 'OUTCOME', value: (l) => l.outcome }, { header: 'CALL LEG', value: (l) => l.callLegId }, { header: 'REASON', value: (l) => l.reason }], m.legs);
  });
  meetings.command('extend').argument('<id>').requiredOption('--minutes <n>', '', parseInteger(1, 480)).action(async (id: string, o: { minutes: number }) => {
    const r = await apiClientFromEnvironment().post<Row>(`${P}/meetings/${id}/extend`, { minutes: o.minutes });
    console.log(`Now ends ${formatTime(r.endAt)}.`);
  });
  meetings.command('end').argument('<id>').description('End now').action(async (id: string) => {
    const client = apiClientFromEnvironment();
    const r = await client.post<Row>(`${P}/meetings/${id}/end`);
    if (r.jobId) await followJob(client, r.jobId);
  });
  meetings.command('dial').argument('<id>').argument('<uri>').description('Add a participant (dial out)').action(async (id: string, uri: string) => {
    const leg = await apiClientFromEnvironment().post<Row>(`${P}/meetings/${id}/participants`, { remoteParty: uri });
    console.log(`${uri}: ${leg.outcome}${leg.callLegId ? ` (${leg.callLegId})` : ''}`);
  });
  meetings.command('drop').argument('<id>').argument('<callLegId>').action(async (id: string, legId: string) => {
    await apiClientFromEnvironment().delete(`${P}/meetings/${id}/legs/${legId}`);
  });
  meetings.command('message').argument('<id>').argument('<text>').description('Banner message to everyone').action(async (id: string, text: string) => {
    await apiClientFromEnvironment().patch(`${P}/meetings/${id}`, { messageText: text });
  });
  meetings.command('lock').argument('<id>').option('--unlock').action(async (id: string, o: { unlock?: boolean }) => {
    await apiClientFromEnvironment().patch(`${P}/meetings/${id}`, { locked: !o.unlock });
  });

  meetings
    .command('import-tms')
    .description('Import the future bookings of a running Cisco TMS through TMSBA (#16): dry-run report, then the import job; --follow keeps importing its changes until cut-over')
    .requiredOption('--url <url>', 'the TMS, e.g. https://tms.example.com')
    .requiredOption('--user <name>', 'a TMS user with the Booking API (Basic authentication); the password is asked for')
    .option('--mapping <file>', 'JSON: [{"system": "<SystemId or SystemName>", "bridge": "<bridge id, name or address>"} | {"system": "…", "ignore": true}], or a .csv file with the columns system,bridge,ignore')
    .option('--horizon-days <n>', 'how far ahead to import', parseInteger(1, 400))
    .option('--insecure', 'accept a self-signed TMS certificate')
    .option('--dry-run', 'only show what would be imported')
    .option('--follow', 'after the import, import the TMS\'s changes (GetTransactionsSince) until stopped (Ctrl+C at cut-over)')
    .option('--interval <seconds>', 'how often --follow asks the TMS', parseInteger(5, 3600), 60)
    .option('--json')
    .action(async (o: { url: string; user: string; mapping?: string; horizonDays?: number; insecure?: boolean; dryRun?: boolean; follow?: boolean; interval: number; json?: boolean }) => {
      let mapping: unknown;
      if (o.mapping) {
        let text: string;
        try {
          text = fs.readFileSync(o.mapping, 'utf8');
        } catch (error) {
          throw new CliError('MAPPING_INVALID', `The mapping file ${o.mapping} cannot be read: ${(error as Error).message}`, { exitCode: USAGE_EXIT_CODE });
        }
        try {
          mapping = parseMappingFile(o.mapping, text);
        } catch (error) {
          if (!(error instanceof MappingFileError)) throw error;
          throw new CliError('MAPPING_INVALID', `The mapping file ${o.mapping} ${error.message}`, { exitCode: USAGE_EXIT_CODE });
        }
      }
      const password = process.env.SWITCHBOARD_TMS_PASSWORD || (await promptSecret('TMS password: '));
      const client = apiClientFromEnvironment();
      const body = { url: o.url, username: o.user, password, mapping, horizonDays: o.horizonDays, insecureTls: o.insecure };
      const report = await client.post<Row>(`${P}/tms-import/dry-run`, body);
      if (o.json && o.dryRun) return printJson(report);
      if (!o.json) printImportReport(report);
      if (o.dryRun) return;
      const { jobId } = await client.post<{ jobId: string }>(`${P}/tms-import`, body);
      const job = await followJob(client, jobId);
      const result = job.result as Row;
      if (o.json) printJson(result);
      else console.log(Object.entries(result.outcomes).filter(([, n]) => n).map(([k, n]) => `${n} ${k}`).join(', ') || 'Nothing to import.');
      if (!o.follow) return;
      let cursor = Number(result.cursor);
      let stop = false;
      const onSignal = () => (stop = true);
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      console.log(`Following ${o.url} from transaction ${cursor} every ${o.interval} s (Ctrl+C at cut-over).`);
      while (!stop) {
        const round = await client.post<Row>(`${P}/tms-import/follow`, { ...body, cursor });
        cursor = Number(round.cursor);
        for (const i of round.items) console.log(`${formatTime(new Date().toISOString())}  ${i.action.padEnd(10)} ${i.conferenceId} ${i.title}${i.reason ? ` — ${i.reason}` : ''}`);
        for (let waited = 0; waited < o.interval && !stop; waited++) await new Promise((r) => setTimeout(r, 1000));
      }
      console.log(`Stopped at transaction ${cursor}.`);
    });
}

function printImportReport(report: Row) {
  console.log(`TMS ${report.tms}: ${report.systems.length} systems, ${report.items.length} bookings until ${formatTime(report.horizonEnd)}\n`);
  printTable([
    { header: 'SYSTEM', value: (s: Row) => `${s.systemId} ${s.name}` },
    { header: 'ADDRESS', value: (s) => s.address },
    { header: 'MAPPED AS', value: (s) => (s.mappedAs === 'bridge' ? `bridge ${s.bridgeName}` : s.mappedAs === 'dial-out' ? `dial-out ${s.dialOut}` : s.mappedAs) },
    { header: 'BY / WHY NOT', value: (s) => s.reason ?? s.by ?? '', maxWidth: 90 },
  ], report.systems);
  console.log('');
  printTable([
    { header: 'ACTION', value: (i: Row) => i.action },
    { header: 'CONFERENCE', value: (i) => String(i.conferenceId) },
    { header: 'START', value: (i) => i.start },
    { header: 'TITLE', value: (i) => `${i.title}${i.series ? ' (series)' : ''}`, maxWidth: 40 },
    { header: 'REASON', value: (i) => i.reason ?? '', maxWidth: 90 },
  ], report.items);
  console.log(`\n${Object.entries(report.totals).map(([k, n]) => `${n} ${k}`).join(', ')}`);
}
