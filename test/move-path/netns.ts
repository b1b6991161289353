// Two network namespaces joined by a veth pair (the Internet between the box and AWS), a strongSwan
// daemon in each, and a PostgreSQL 15 cluster in each, listening only on the address given.
// Needs root (ip netns, setns) and Debian's strongswan-swanctl + charon-systemd + libcharon-extra-plugins.
import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { postgresUser } from '../../apps/dev/src/run-as-root';
import { PG15_BIN } from '../support/pg-cluster';

export const CHARON = '/usr/sbin/charon-systemd';

/** Why this machine cannot run the namespaces, or undefined when it can. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root: ip netns and strongSwan need root';
  const probe = `spw-probe-${process.pid}`;
  const made = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (made.status !== 0) return `no network namespace support here (ip netns add: ${(made.stderr || made.error?.message || '').trim()})`;
  spawnSync('ip', ['netns', 'del', probe]);
  return undefined;
}

export const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });

/** Runs a command inside a namespace; returns its status and output, never throws. */
export function inNs(ns: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', env, timeout: 120_000 });
}

export class Namespaces {
  constructor(readonly box: string, readonly vpc: string) {}

  /** box <-> vpc over one veth, each end with its public address; loopback up in both. */
  static create(tag: string, boxPublic: string, awsOutside: string): Namespaces {
    const n = new Namespaces(`spw-box-${tag}`, `spw-vpc-${tag}`);
    ip('netns', 'add', n.box);
    ip('netns', 'add', n.vpc);
    const [b, v] = [`spwb${tag}`, `spwv${tag}`];
    ip('link', 'add', b, 'type', 'veth', 'peer', 'name', v);
    ip('link', 'set', b, 'netns', n.box);
    ip('link', 'set', v, 'netns', n.vpc);
    ip('-n', n.box, 'addr', 'add', `${boxPublic}/24`, 'dev', b);
    ip('-n', n.vpc, 'addr', 'add', `${awsOutside}/24`, 'dev', v);
    for (const [ns, dev] of [[n.box, b], [n.vpc, v]]) {
      ip('-n', ns, 'link', 'set', dev, 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    return n;
  }

  destroy(): void {
    for (const ns of [this.box, this.vpc]) spawnSync('ip', ['netns', 'del', ns]);
  }
}

/**
 * charon in a namespace, with its own strongswan.conf and vici socket. kernel-libipsec: this
 * machine's kernel has no ESP (adding an ESP state fails with EPROTONOSUPPORT), so ESP runs in
 * strongSwan's userspace over a TUN device, UDP-encapsulated; the box uses its kernel's ESP. The
 * IKE negotiation, proposals, selectors and routes are the same either way.
 */
export class Charon {
  readonly socket: string;
  private child?: ChildProcess;

  constructor(readonly ns: string, readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.socket = `unix://${join(dir, 'charon.vici')}`;
    writeFileSync(join(dir, 'strongswan.conf'), `charon-systemd {
  load_modular = yes
  plugins {
    include /etc/strongswan.d/charon/*.conf
    kernel-libipsec { load = yes }
    vici { socket = ${this.socket} }
  }
  journal { default = -1 }
}
`);
  }

  async start(): Promise<void> {
    if (!existsSync(CHARON)) throw new Error(`${CHARON} is missing: apt-get install strongswan-swanctl charon-systemd libcharon-extra-plugins (.ci/run does)`);
    this.child = spawn('ip', ['netns', 'exec', this.ns, CHARON], { env: { ...process.env, STRONGSWAN_CONF: join(this.dir, 'strongswan.conf') }, stdio: 'ignore' });
    for (let i = 0; i < 100 && !existsSync(join(this.dir, 'charon.vici')); i++) await new Promise((r) => setTimeout(r, 100));
    if (!existsSync(join(this.dir, 'charon.vici'))) throw new Error(`charon in ${this.ns} did not open its vici socket`);
  }

  swanctl(...args: string[]): string {
    const r = spawnSync('swanctl', [...args, '--uri', this.socket], { encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) throw new Error(`swanctl ${args.join(' ')} failed: ${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  stop(): void {
    this.child?.kill('SIGTERM');
  }
}

/** PostgreSQL 15 in a namespace, listening on `address` only, trusting every client (a test cluster). */
export class NsPostgres {
  private readonly dir = mkdtempSync('/var/tmp/spillway-movepath-pg-');
  private readonly user = postgresUser();

  constructor(readonly ns: string, readonly address: string, readonly port = 5432) {}

  private asPostgres(tool: string, args: string[]): void {
    const r = inNs(this.ns, 'runuser', ['-u', 'postgres', '--', join(PG15_BIN, tool), ...args]);
    if (r.status !== 0) throw new Error(`${tool} in ${this.ns} failed: ${r.stderr || r.stdout}`);
  }

  start(): void {
    chownSync(this.dir, this.user.uid, this.user.gid);
    const data = join(this.dir, 'data');
    this.asPostgres('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    writeFileSync(join(data, 'pg_hba.conf'), 'local all all trust\nhost all all 0.0.0.0/0 trust\n');
    const opts = `-p ${this.port} -k ${this.dir} -c listen_addresses=${this.address} -c fsync=off -c wal_level=logical -c max_wal_senders=10 -c max_replication_slots=10`;
    this.asPostgres('pg_ctl', ['-D', data, '-l', join(this.dir, 'log'), '-o', opts, '-w', 'start']);
  }

  url(database: string): string {
    return `postgres://postgres@${this.address}:${this.port}/${database}`;
  }

  /** psql from inside `fromNs` against this cluster; status and output. */
  psql(fromNs: string, database: string, sql: string) {
    return inNs(fromNs, join(PG15_BIN, 'psql'), ['-X', '-q', '-tA', '-v', 'ON_ERROR_STOP=1', '-d', this.url(database), '-c', sql], { ...process.env, PGCONNECT_TIMEOUT: '3' });
  }

  stop(): void {
    try {
      this.asPostgres('pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'immediate', '-w', 'stop']);
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
