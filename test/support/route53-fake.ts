// A Route 53 API fake for the cutover's DNS tests. Why a fake: there is no Route 53 emulator here,
// and the rules the cutover must respect are Route 53's, so this speaks its REST/XML protocol
// (2013-04-01) to the real SDK and enforces them: a name/type holds either one simple record or
// only weighted ones; a change batch applies whole or not at all; a DELETE must match the existing
// record exactly; a CREATE must not exist yet. Every committed state is kept so a test can check
// the name answered at each one. Speaks: ChangeResourceRecordSets, ListResourceRecordSets,
// GetChange, CreateHealthCheck.
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';

export interface FakeRecord {
  name: string;
  type: string;
  setIdentifier?: string;
  weight?: number;
  ttl?: number;
  values?: string[];
  alias?: { zoneId: string; dnsName: string; evaluateTargetHealth: boolean };
  healthCheckId?: string;
}

interface XmlNode {
  tag: string;
  children: XmlNode[];
  text: string;
}

/** Parses the small XML the SDK sends (elements and text, no attributes we need). */
function parseXml(xml: string): XmlNode {
  const root: XmlNode = { tag: '#root', children: [], text: '' };
  const stack = [root];
  const re = /<(\/?)([A-Za-z][\w:.-]*)[^>]*?(\/?)>|([^<]+)/g;
  for (const m of xml.replace(/<\?xml[^>]*\?>/, '').matchAll(re)) {
    const top = stack[stack.length - 1];
    if (m[4] !== undefined) top.text += m[4].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
    else if (m[1]) stack.pop();
    else {
      const node: XmlNode = { tag: m[2], children: [], text: '' };
      top.children.push(node);
      if (!m[3]) stack.push(node);
    }
  }
  return root.children[0];
}

const kid = (n: XmlNode | undefined, tag: string) => n?.children.find((c) => c.tag === tag);
const kids = (n: XmlNode | undefined, tag: string) => n?.children.filter((c) => c.tag === tag) ?? [];
const text = (n: XmlNode | undefined, tag: string) => kid(n, tag)?.text.trim();
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fqdn = (n: string) => (n.endsWith('.') ? n : `${n}.`).toLowerCase();

function recordFrom(n: XmlNode): FakeRecord {
  const alias = kid(n, 'AliasTarget');
  const num = (tag: string) => (text(n, tag) === undefined ? undefined : Number(text(n, tag)));
  return {
    name: fqdn(text(n, 'Name') ?? ''),
    type: text(n, 'Type') ?? '',
    setIdentifier: text(n, 'SetIdentifier'),
    weight: num('Weight'),
    ttl: num('TTL'),
    values: kid(n, 'ResourceRecords') ? kids(kid(n, 'ResourceRecords'), 'ResourceRecord').map((r) => text(r, 'Value') ?? '') : undefined,
    alias: alias ? { zoneId: text(alias, 'HostedZoneId') ?? '', dnsName: fqdn(text(alias, 'DNSName') ?? ''), evaluateTargetHealth: text(alias, 'EvaluateTargetHealth') === 'true' } : undefined,
    healthCheckId: text(n, 'HealthCheckId'),
  };
}

function recordXml(r: FakeRecord): string {
  const tag = (t: string, v: unknown) => (v === undefined ? '' : `<${t}>${esc(String(v))}</${t}>`);
  return (
    `<ResourceRecordSet>${tag('Name', r.name)}${tag('Type', r.type)}${tag('SetIdentifier', r.setIdentifier)}${tag('Weight', r.weight)}${tag('TTL', r.ttl)}` +
    (r.values ? `<ResourceRecords>${r.values.map((v) => `<ResourceRecord>${tag('Value', v)}</ResourceRecord>`).join('')}</ResourceRecords>` : '') +
    (r.alias ? `<AliasTarget>${tag('HostedZoneId', r.alias.zoneId)}${tag('DNSName', r.alias.dnsName)}${tag('EvaluateTargetHealth', r.alias.evaluateTargetHealth)}</AliasTarget>` : '') +
    `${tag('HealthCheckId', r.healthCheckId)}</ResourceRecordSet>`
  );
}

const key = (r: FakeRecord) => `${r.name}|${r.type}|${r.setIdentifier ?? ''}`;
const same = (a: FakeRecord, b: FakeRecord) => JSON.stringify({ ...a, values: a.values && [...a.values].sort() }) === JSON.stringify({ ...b, values: b.values && [...b.values].sort() });
const describe = (r: FakeRecord) => `[name='${r.name}', type='${r.type}'${r.setIdentifier ? `, set-identifier='${r.setIdentifier}'` : ''}]`;

/** Applies a batch to a copy; returns the new record list or the messages Route 53 would give. */
function applyBatch(current: FakeRecord[], changes: Array<{ action: string; record: FakeRecord }>): FakeRecord[] | string[] {
  const next = new Map(current.map((r) => [key(r), r]));
  const errors: string[] = [];
  for (const { action, record } of changes) {
    const existing = next.get(key(record));
    if (action === 'CREATE') {
      if (existing) errors.push(`Tried to create resource record set ${describe(record)} but it already exists`);
      else next.set(key(record), record);
    } else if (action === 'DELETE') {
      if (!existing) errors.push(`Tried to delete resource record set ${describe(record)} but it was not found`);
      else if (!same(existing, record)) errors.push(`Tried to delete resource record set ${describe(record)} but the values provided do not match the current values`);
      else next.delete(key(record));
    } else if (action === 'UPSERT') next.set(key(record), record);
    else errors.push(`unknown action ${action}`);
  }
  const records = [...next.values()];
  for (const r of records) {
    const sameNameType = records.filter((o) => o.name === r.name && o.type === r.type);
    if (r.setIdentifier === undefined && sameNameType.length > 1) {
      errors.push(`RRSet ${describe(r)} is a non-weighted set and cannot coexist with weighted sets of the same name and type`);
    }
    if (r.setIdentifier !== undefined && r.weight === undefined) errors.push(`RRSet ${describe(r)} has a set identifier but no weight`);
    if (!r.alias && !r.values?.length) errors.push(`RRSet ${describe(r)} has neither resource records nor an alias target`);
    if (r.alias && r.ttl !== undefined) errors.push(`RRSet ${describe(r)}: an alias record takes no TTL`);
  }
  return errors.length ? [...new Set(errors)] : records;
}

export class Route53Fake {
  records: FakeRecord[] = [];
  /** The record list after every committed batch, the first entry being the seeded one. */
  states: FakeRecord[][] = [];
  /** Every batch received, committed or refused, in order. */
  batches: Array<{ changes: Array<{ action: string; record: FakeRecord }>; refused?: string[] }> = [];
  healthChecks = new Map<string, { id: string; config: string }>();
  private server?: Server;
  private changeCount = 0;
  private polls = new Map<string, number>();

  constructor(readonly zoneId: string) {}

  seed(records: FakeRecord[]): void {
    this.records = records.map((r) => ({ ...r, name: fqdn(r.name) }));
    this.states = [this.records];
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => this.handle(req, body, res));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  stop(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private send(res: ServerResponse, status: number, xml: string): void {
    res.writeHead(status, { 'content-type': 'text/xml', 'x-amzn-requestid': `fake-${Date.now()}` });
    res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${xml}`);
  }

  private error(res: ServerResponse, status: number, code: string, message: string): void {
    this.send(res, status, `<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${esc(message)}</Message></Error><RequestId>fake</RequestId></ErrorResponse>`);
  }

  private changeInfo(id: string, status: string): string {
    return `<ChangeInfo><Id>/change/${id}</Id><Status>${status}</Status><SubmittedAt>${new Date().toISOString()}</SubmittedAt></ChangeInfo>`;
  }

  private handle(req: IncomingMessage, body: string, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const ns = 'xmlns="https://route53.amazonaws.com/doc/2013-04-01/"';
    const rrset = url.pathname.match(/^\/2013-04-01\/hostedzone\/([^/]+)\/rrset\/?$/);
    if (rrset && rrset[1] !== this.zoneId) return this.error(res, 404, 'NoSuchHostedZone', `No hosted zone found with ID: ${rrset[1]}`);
    if (rrset && req.method === 'POST') {
      const batch = kid(kid(parseXml(body), 'ChangeBatch'), 'Changes');
      const changes = kids(batch, 'Change').map((c) => ({ action: text(c, 'Action') ?? '', record: recordFrom(kid(c, 'ResourceRecordSet')!) }));
      const result = applyBatch(this.records, changes);
      if (typeof result[0] === 'string') {
        this.batches.push({ changes, refused: result as string[] });
        return this.error(res, 400, 'InvalidChangeBatch', `[${(result as string[]).join(', ')}]`);
      }
      this.batches.push({ changes });
      this.records = result as FakeRecord[];
      this.states.push(this.records);
      const id = `C${++this.changeCount}`;
      return this.send(res, 200, `<ChangeResourceRecordSetsResponse ${ns}>${this.changeInfo(id, 'PENDING')}</ChangeResourceRecordSetsResponse>`);
    }
    if (rrset && req.method === 'GET') {
      const start = fqdn(url.searchParams.get('name') ?? '');
      const max = Number(url.searchParams.get('maxitems') ?? 100);
      const sorted = [...this.records].sort((a, b) => key(a).localeCompare(key(b)));
      const from = sorted.filter((r) => !url.searchParams.get('name') || r.name >= start).slice(0, max);
      return this.send(res, 200, `<ListResourceRecordSetsResponse ${ns}><ResourceRecordSets>${from.map(recordXml).join('')}</ResourceRecordSets><IsTruncated>false</IsTruncated><MaxItems>${max}</MaxItems></ListResourceRecordSetsResponse>`);
    }
    const change = url.pathname.match(/^\/2013-04-01\/change\/(.+)$/);
    if (change && req.method === 'GET') {
      const id = change[1];
      if (!/^C\d+$/.test(id) || Number(id.slice(1)) > this.changeCount) return this.error(res, 404, 'NoSuchChange', `A change with the specified change ID does not exist: ${id}`);
      // PENDING on the first look, INSYNC after: the caller must poll.
      const seen = (this.polls.get(id) ?? 0) + 1;
      this.polls.set(id, seen);
      return this.send(res, 200, `<GetChangeResponse ${ns}>${this.changeInfo(id, seen > 1 ? 'INSYNC' : 'PENDING')}</GetChangeResponse>`);
    }
    if (url.pathname === '/2013-04-01/healthcheck' && req.method === 'POST') {
      const doc = parseXml(body);
      const ref = text(doc, 'CallerReference') ?? '';
      const config = kid(doc, 'HealthCheckConfig');
      const configXml = config ? config.children.map((c) => `<${c.tag}>${esc(c.text.trim())}</${c.tag}>`).join('') : '';
      const existing = this.healthChecks.get(ref);
      if (existing && existing.config !== configXml) return this.error(res, 409, 'HealthCheckAlreadyExists', `A health check with caller reference ${ref} exists with other settings`);
      const hc = existing ?? { id: `hc-${this.healthChecks.size + 1}`, config: configXml };
      this.healthChecks.set(ref, hc);
      return this.send(res, 201, `<CreateHealthCheckResponse ${ns}><HealthCheck><Id>${hc.id}</Id><CallerReference>${esc(ref)}</CallerReference><HealthCheckConfig>${hc.config}</HealthCheckConfig><HealthCheckVersion>1</HealthCheckVersion></HealthCheck></CreateHealthCheckResponse>`);
    }
    this.error(res, 400, 'InvalidAction', `the fake does not speak ${req.method} ${url.pathname}`);
  }
}

/** Whether `name` answers A queries in this state: a simple record, or a weighted one with weight above 0. */
export function answers(records: FakeRecord[], name: string): boolean {
  return records.some((r) => r.name === fqdn(name) && r.type === 'A' && (r.setIdentifier === undefined || (r.weight ?? 0) > 0));
}
