import { XMLParser } from 'fast-xml-parser';
import { AppError } from '../platform/errors.ts';
import { createExternalClient, type ExternalExchange, type TlsPolicy } from '../platform/http/external-client.ts';
import type { Metrics } from '../platform/observability/metrics.ts';

// The client of one Cisco CE / RoomOS room codec (shared/reference/ce_xapi.md): Basic auth on every
// request (no session: sessions are limited in number and never expire on their own), status read
// with `getxml`, bookings pushed with `POST /bookingsputxml` (§6) or `xCommand Bookings Put` (§7).
// Command errors come back as HTTP 200 with the error in the XML; bad credentials as 401.

export type CeConnectorOptions = {
  baseUrl: string; username: string; password: string; metrics?: Metrics; timeoutMs?: number; onExchange?: (exchange: ExternalExchange) => void;
  /** How an HTTPS codec's certificate is checked (its pin, a CA, first use); default: a CA must vouch for it. */
  tls?: TlsPolicy;
  /** The operator's CA bundle (config.tlsCa). */
  ca?: string;
};

/** One booking as the codec gets it: UTC times, buffers in seconds, the number the Join button dials. */
export type ObtpBooking = {
  id: string;
  title: string;
  organizer: string;
  privacy: 'Public' | 'Private';
  start: Date;
  end: Date;
  startBufferSeconds: number;
  endBufferSeconds: number;
  /** The space's SIP URI (user@domain, no `sip:`); empty until the meeting's space is known. */
  number: string;
};

export type PushMethod = 'bookingsputxml' | 'bookingsPut';

/** Major.minor of a codec's `Software/Version` (`ce9.15.3.17…`; RoomOS versions start `ce` too). */
export function ceVersion(version: string): { major: number; minor: number } {
  const m = /^(?:ce|tc)?(\d+)\.(\d+)/i.exec(version.trim());
  return { major: Number(m?.[1] ?? 0), minor: Number(m?.[2] ?? 0) };
}

const parser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: true });

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
const utc = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * The `bookingsputxml` document (§6): every booking the room should show (it replaces the list),
 * `item="1"` TMS-style, the fields Mividas and TMS fill. A booking whose space is not known yet goes
 * with ConnectMode Manual and no number: the panel shows it, without a Join button.
 */
export function bookingsXml(list: ObtpBooking[]): string {
  const t = (name: string, value: string | number) => `<${name} item="1">${escapeXml(String(value))}</${name}>`;
  const items = list.map((b, i) => {
    const [first, ...rest] = b.organizer.split(' ');
    return `<Booking item="${i + 1}">${t('Id', b.id)}${t('Title', b.title)}${t('Agenda', '')}${t('Privacy', b.privacy)}`
      + `<Organizer item="1">${t('FirstName', first ?? '')}${t('LastName', rest.join(' '))}${t('Email', '')}</Organizer>`
      + `<Time item="1">${t('StartTime', utc(b.start))}${t('StartTimeBuffer', b.startBufferSeconds)}${t('EndTime', utc(b.end))}${t('EndTimeBuffer', b.endBufferSeconds)}</Time>`
      + `${t('MaximumMeetingExtension', 5)}${t('BookingStatus', 'OK')}${t('BookingStatusMessage', '')}`
      + `<Webex item="1">${t('Enabled', 'False')}${t('MeetingNumber', '')}${t('Password', '')}</Webex>`
      + `${t('Encryption', 'BestEffort')}${t('Role', 'Master')}${t('Recording', 'Disabled')}`
      + `<DialInfo item="1"><Calls item="1"><Call item="1">${t('Number', b.number)}${t('Protocol', 'SIP')}${t('CallRate', 6000)}${t('CallType', 'Video')}</Call></Calls>${t('ConnectMode', b.number ? 'OBTP' : 'Manual')}</DialInfo>`
      + `</Booking>`;
  });
  return `<?xml version='1.0'?><Bookings item="1" status="OK">${items.join('')}</Bookings>`;
}

/**
 * The JSON of `Bookings Put` (§7): Duration in minutes, Organizer/Name, Number and Protocol at the
 * top. Number is required: a booking whose space is not known yet goes with an empty number and
 * Protocol None (⚠ decided: the schema lists None; not seen on a device).
 */
export function bookingsJson(list: ObtpBooking[]): string {
  return JSON.stringify({
    Bookings: list.map((b) => ({
      Id: b.id, Title: b.title, Privacy: b.privacy, Number: b.number, Protocol: b.number ? 'SIP' : 'None',
      Organizer: { Name: b.organizer },
      Time: { StartTime: utc(b.start), Duration: Math.round((b.end.getTime() - b.start.getTime()) / 60_000), StartTimeBuffer: b.startBufferSeconds, EndTimeBuffer: b.endBufferSeconds },
    })),
  });
}

export type CeStatus = {
  productId: string;
  softwareVersion: string;
  displayName: string;
  serialNumber: string;
  sipUri: string | null;
  webexRegistered: boolean;
  activeCalls: number;
  uptimeSeconds: number | null;
};

export type CeConnector = ReturnType<typeof createCeConnector>;

export function createCeConnector(options: CeConnectorOptions) {
  const base = options.baseUrl.replace(/\/+$/, '');
  const host = new URL(base).host;
  const client = createExternalClient({
    system: 'ce-codec',
    metrics: options.metrics,
    auth: { type: 'basic', username: options.username, password: options.password },
    // Codecs ship self-signed certificates (ce_xapi.md §1): the endpoint's pin, as a bridge node's (#14).
    tls: options.tls ?? { mode: 'ca' },
    ca: options.ca,
    timeoutMs: options.timeoutMs ?? 10_000,
    onExchange: options.onExchange,
  });

  function refused(status: number, what: string): AppError {
    if (status === 401 || status === 403) return new AppError('UPSTREAM_REFUSED_CREDENTIALS', `Authentication failed at ${host}: the codec refused the username and password.`, { reason: 'authenticationFailed', status, host });
    return new AppError('UPSTREAM_FAILED', `The codec at ${host} answered HTTP ${status} to ${what}.`, { reason: `http${status}`, status, host });
  }

  function parse(body: string, what: string): Record<string, any> {
    try {
      return parser.parse(body) as Record<string, any>;
    } catch (error) {
      throw new AppError('UPSTREAM_FAILED', `The codec at ${host} answered ${what} with XML that cannot be read: ${(error as Error).message}`, { reason: 'malformedXml', host });
    }
  }

  async function getxml(location: string): Promise<Record<string, any>> {
    const response = await client.request({ method: 'GET', url: `${base}/getxml?location=${encodeURIComponent(location)}` });
    if (response.status !== 200) throw refused(response.status, `getxml ${location}`);
    return parse(response.body, `getxml ${location}`);
  }

  /** A `<Command>` document; its first result's status must be OK (errors come as HTTP 200). */
  async function command(xml: string, what: string): Promise<Record<string, any>> {
    const response = await client.request({ method: 'POST', url: `${base}/putxml`, headers: { 'content-type': 'text/xml' }, body: xml });
    if (response.status !== 200) throw refused(response.status, what);
    const doc = parse(response.body, what);
    if (doc.ActionError) throw new AppError('UPSTREAM_FAILED', `The codec at ${host} does not know ${what}: ${doc.ActionError.Reason ?? 'no action detected'}.`, { reason: 'noAction', host });
    const results = (doc.Command ?? {}) as Record<string, any>;
    const [name, first] = Object.entries(results)[0] ?? [];
    if (!name) throw new AppError('UPSTREAM_FAILED', `The codec at ${host} answered ${what} without a result.`, { reason: 'noResult', host });
    if (first?.['@_status'] === 'Error' || /status="Error"/.test(response.body)) throw new AppError('UPSTREAM_FAILED', `The codec at ${host} refused ${what}: ${first?.Reason ?? 'error'}.`, { reason: 'commandError', host });
    return first ?? {};
  }

  return {
    host,
    baseUrl: base,
    async status(): Promise<CeStatus> {
      const unit = (await getxml('/Status/SystemUnit')).Status?.SystemUnit;
      if (!unit || unit.Software?.Version === undefined) throw new AppError('UPSTREAM_FAILED', `${host} answered /getxml, but not as a Cisco codec does.`, { reason: 'notCodec', host });
      // SIP and Webex are separate branches: one request each, still small answers.
      const sip = (await getxml('/Status/SIP/Registration').catch(() => ({}))) as Record<string, any>;
      const webex = (await getxml('/Status/Webex').catch(() => ({}))) as Record<string, any>;
      const n = (v: unknown) => (v === undefined || v === '' ? null : Number(v));
      return {
        productId: String(unit.ProductId ?? ''),
        softwareVersion: String(unit.Software.Version),
        displayName: String(unit.Software.DisplayName ?? ''),
        serialNumber: String(unit.Hardware?.Module?.SerialNumber ?? ''),
        sipUri: sip.Status?.SIP?.Registration?.URI ? String(sip.Status.SIP.Registration.URI).replace(/^sip:/i, '') : null,
        webexRegistered: String(webex.Status?.Webex?.Status ?? '') === 'Registered',
        activeCalls: n(unit.State?.NumberOfActiveCalls) ?? 0,
        uptimeSeconds: n(unit.Uptime),
      };
    },
    /** Replaces the bookings the codec stores with `list` (both methods replace the whole list). */
    async pushBookings(method: PushMethod, list: ObtpBooking[]): Promise<void> {
      if (method === 'bookingsputxml') {
        const response = await client.request({ method: 'POST', url: `${base}/bookingsputxml`, headers: { 'content-type': 'text/xml' }, body: bookingsXml(list) });
        // Clients treat 200 as success and anything else as failure (§6; the body is undocumented).
        if (response.status !== 200) throw refused(response.status, 'bookingsputxml');
        return;
      }
      await command(`<Command><Bookings><Put command="True"><body>${escapeXml(bookingsJson(list))}</body></Put></Bookings></Command>`, 'Bookings Put');
    },
    /** `xCommand Bookings List` from today: what the panel holds, to confirm a push. */
    async listBookings(): Promise<{ id: string; title: string; number: string; startTime: string }[]> {
      const result = await command('<Command><Bookings><List command="True"><DayOffset>0</DayOffset></List></Bookings></Command>', 'Bookings List');
      const raw = result.Booking === undefined ? [] : Array.isArray(result.Booking) ? result.Booking : [result.Booking];
      return raw.map((b: Record<string, any>) => ({ id: String(b.Id), title: String(b.Title ?? ''), number: String(b.DialInfo?.Calls?.Call?.Number ?? ''), startTime: String(b.Time?.StartTime ?? '') }));
    },
    close: () => client.close(),
  };
}
