import fs from 'node:fs';
import type { Command } from 'commander';
import { CliError, USAGE_EXIT_CODE } from '../platform/cli/cli-error.ts';
import { apiClientFromEnvironment } from '../platform/cli/credentials.ts';
import { formatTime, listingOptions, printJson, printPage, printTable, type Page } from '../platform/cli/output.ts';
import { promptSecret } from '../platform/cli/prompt.ts';

// `switchboard endpoints …` (#17): room codecs over the REST API; `add --csv` hands the file to the
// bulk route as it is, so the server reads it (one CSV reader, line numbers in its answer).

const P = '/api/v1/meetings';
type Row = Record<string, any>;
type BulkResult = { added: number; refused: number; results: { row: number; line?: number; address: string; ok: boolean; endpoint?: Row; error?: { code: string; message: string; certificate?: Row } }[] };

function printCertificate(c: Row, print: (line: string) => void = console.log) {
  print(`  Subject:     ${c.subject}`);
  print(`  Issuer:      ${c.issuer}`);
  print(`  Valid:       ${formatTime(c.validFrom)} to ${formatTime(c.validTo)}`);
  print(`  SHA-256:     ${c.fingerprint}`);
}

export function registerEndpointCommands(program: Command) {
  const endpoints = program.command('endpoints').description('Room endpoints: Cisco CE / RoomOS codecs booked as rooms, One Button to Push (#17)');

  listingOptions(endpoints.command('list').description('List endpoints')).action(async (o: { limit: number; offset: number; json?: boolean }) => {
    const page = await apiClientFromEnvironment().get<Page<Row>>(`${P}/endpoints`, { limit: o.limit, offset: o.offset });
    if (o.json) return printJson(page);
    printPage(page, [
      { header: 'ID', value: (e) => e.id },
      { header: 'NAME', value: (e) => e.name },
      { header: 'ADDRESS', value: (e) => e.address },
      { header: 'CONNECTIVITY', value: (e) => e.connectivity },
      { header: 'SOFTWARE', value: (e) => e.softwareVersion },
      { header: 'SIP URI', value: (e) => e.sipUri },
      { header: 'LAST PUSH', value: (e) => (e.obtpPushedAt ? formatTime(e.obtpPushedAt) : e.obtpLastError ? `failed: ${e.obtpLastError}` : '-'), maxWidth: 60 },
    ], 'endpoints');
  });

  endpoints
    .command('add')
    .description('Register one codec (the password is asked for), or many from a CSV file whose header names the columns address, username, password[, name, sipUri, tls, fingerprint]. An HTTPS codec no trusted CA vouches for is registered only with its certificate\'s SHA-256 fingerprint confirmed (--trust-fingerprint, or the fingerprint column), which is pinned')
    .argument('[address]', 'host, host:port or http(s) URL of the codec')
    .option('--csv <file>', 'CSV file of codecs (header row required; one codec a row)')
    .option('--username <name>', 'xAPI user (with an address)')
    .option('--name <name>', 'room name (with an address)')
    .option('--sip-uri <uri>', 'what a bridge dials for automatic connect (default: the codec\'s SIP registration)')
    .option('--http', 'plain HTTP, not HTTPS (with an address)')
    .option('--trust-fingerprint <sha256>', 'the SHA-256 fingerprint of the codec\'s certificate you checked: pinned (needed when no trusted CA vouches for it)')
    .option('--json')
    .action(async (address: string | undefined, o: { csv?: string; username?: string; name?: string; sipUri?: string; http?: boolean; trustFingerprint?: string; json?: boolean }) => {
      const client = apiClientFromEnvironment();
      if (o.csv) {
        if (address) throw new CliError('USAGE', 'Give an address or --csv, not both.', { exitCode: USAGE_EXIT_CODE });
        let csv: string;
        try {
          csv = fs.readFileSync(o.csv, 'utf8');
        } catch (error) {
          throw new CliError('USAGE', `Cannot read the CSV file ${o.csv}: ${(error as Error).message}`, { exitCode: USAGE_EXIT_CODE });
        }
        const res = await client.post<BulkResult>(`${P}/endpoints/bulk`, { csv });
        if (o.json) printJson(res);
        else {
          printTable([
            { header: 'LINE', value: (r: BulkResult['results'][number]) => r.line ?? r.row },
            { header: 'ADDRESS', value: (r) => r.address },
            { header: 'RESULT', value: (r) => (r.ok ? `registered ${r.endpoint!.name} (${r.endpoint!.id})` : `${r.error!.code}: ${r.error!.message}`), maxWidth: 120 },
          ], res.results);
          if (res.results.some((r) => r.error?.certificate)) console.log('Rows refused for their certificate: check each SHA-256 fingerprint against the codec\'s own and put it in a `fingerprint` column to register them.');
          console.log(`${res.added} registered, ${res.refused} refused.`);
        }
        // A script must notice a partly refused file.
        if (res.refused > 0) process.exitCode = 1;
        return;
      }
      if (!address || !o.username) throw new CliError('USAGE', 'Give an address and --username, or --csv <file>.', { exitCode: USAGE_EXIT_CODE });
      const password = await promptSecret('Password: ');
      let e: Row;
      try {
        e = await client.post<Row>(`${P}/endpoints`, { address, username: o.username, password, name: o.name, sipUri: o.sipUri, tls: !o.http, trustFingerprint: o.trustFingerprint });
      } catch (error) {
        const certificate = error instanceof CliError && error.code === 'CERTIFICATE_NOT_TRUSTED' ? (error.details as { certificate?: Row } | undefined)?.certificate : undefined;
        if (!certificate || !(error instanceof CliError)) throw error;
        // What the operator compares with the codec's own certificate before trusting it.
        console.error('The codec presents a certificate no trusted CA vouches for:');
        printCertificate(certificate, console.error);
        throw new CliError(error.code, error.message, { trackingId: error.trackingId, details: error.details, hint: `If this is the codec's certificate, run the command again with --trust-fingerprint ${certificate.fingerprint}` });
      }
      if (o.json) return printJson(e);
      console.log(`Registered ${e.name} (${e.id}): ${e.productId ?? 'unknown product'}, ${e.softwareVersion ?? 'unknown software'}, SIP ${e.sipUri ?? '-'}.`);
    });

  endpoints
    .command('accept-certificate')
    .argument('<id>', 'endpoint id')
    .requiredOption('--fingerprint <sha256>', 'the SHA-256 fingerprint of the certificate the codec presents now (the Certificate Changed ticket names it)')
    .option('--json')
    .description('Accept a codec\'s new certificate (a renewed one): it is pinned and the Certificate Changed ticket closes (#17)')
    .action(async (id: string, o: { fingerprint: string; json?: boolean }) => {
      const e = await apiClientFromEnvironment().post<Row>(`${P}/endpoints/${id}/certificate/accept`, { fingerprint: o.fingerprint });
      if (o.json) return printJson(e);
      console.log(`Accepted the certificate of ${e.name} (${e.certificateTrust === 'ca' ? 'a trusted CA vouches for it' : `pinned ${e.certificateFingerprint}`}); connectivity ${e.connectivity}.`);
    });

  endpoints
    .command('remove')
    .argument('<id>', 'endpoint id')
    .description('Remove an endpoint (it leaves the bookings that name it)')
    .action(async (id: string) => {
      await apiClientFromEnvironment().delete(`${P}/endpoints/${id}`);
      console.log(`Removed endpoint ${id}.`);
    });
}
