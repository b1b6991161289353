// The move path, run: the box and the VPC as two network namespaces joined by veth (the Internet),
// strongSwan in each: the box with the swanctl.conf rendered from deploy/spillway.ts, AWS's VPN
// endpoint played by strongSwan set from the rendered CloudFormation template (aws-vpn-stand-in.ts).
// A real `db:move` runs on the box from its Postgres, which listens only on the box's tunnel
// address, to a Postgres inside the VPC's CIDR, across the tunnel; without the tunnel neither side
// reaches the other. AWS itself is not run here (docs/move-path.md). `npm run build` first.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MOVE_PATH_CONNECTION, renderSwanctl, secretFileContent } from '../../deploy/hetzner/move-path';
import { ROOT } from '../../deploy/outputs';
import { spillway } from '../../deploy/spillway';
import { CLI } from '../db-move/run-move';
import { PG15_BIN } from '../support/pg-cluster';
import { waitFor } from '../support/env';
import { awsVpnStandIn, StandIn } from './aws-vpn-stand-in';
import { Charon, inNs, ip, Namespaces, netnsUnavailable, NsPostgres } from './netns';
import { composeDefinition, targetOf } from '../../deploy/model/targets';

const why = netnsUnavailable();
if (why) console.warn(`move-path test skipped: ${why}`);

const AWS_OUTSIDE = '203.0.113.20';
// An address inside the VPC CIDR, where RDS would be.
const RDS_ADDRESS = '10.0.1.5';
const TEMPLATE = join(ROOT, 'deploy/aws/rendered/spillway-move-path.template.json');
const KEY = 'standInForTheSecretsManagerKey_1';

let ns: Namespaces;
let work: string;
let box: Charon;
let aws: Charon;
let standIn: StandIn;
let boxPg: NsPostgres;
let rdsPg: NsPostgres;

const path = spillway.movePath!;

/** db:move as the operator runs it on the box. */
function dbMove(...args: string[]) {
  return dbMoveTo('moved', ...args);
}

function dbMoveTo(target: string, ...args: string[]) {
  return inNs(ns.box, process.execPath, [CLI, '--from', boxPg.url('spillway'), '--to', rdsPg.url(target), '--pg-bin', PG15_BIN, ...args]);
}

function sasOnBox(): string {
  return box.swanctl('--list-sas');
}

(why ? describe.skip : describe)('move path: strongSwan on the box <-> the AWS VPN stand-in, db:move across it', () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'spillway-movepath-'));
    ns = Namespaces.create(String(process.pid % 100_000), path.boxPublicIp, AWS_OUTSIDE);
    // The box's tunnel address (setup.sh puts it on lo); RDS's address inside the VPC.
    ip('-n', ns.box, 'addr', 'add', `${path.boxTunnelAddress}/32`, 'dev', 'lo');
    ip('-n', ns.vpc, 'addr', 'add', `${RDS_ADDRESS}/32`, 'dev', 'lo');

    // The box: the rendered connection in conf.d/, the key in private/ as setup.sh writes it.
    mkdirSync(join(work, 'box/conf.d'), { recursive: true });
    mkdirSync(join(work, 'box/private'), { recursive: true });
    writeFileSync(join(work, 'box/conf.d', `${MOVE_PATH_CONNECTION}.conf`), renderSwanctl(composeDefinition(spillway), targetOf(spillway, 'eks', 'eks').vpcCidr));
    writeFileSync(join(work, 'box/private', `${MOVE_PATH_CONNECTION}.secret`), secretFileContent(KEY), { mode: 0o600 });
    standIn = awsVpnStandIn(TEMPLATE, AWS_OUTSIDE, KEY);
    writeFileSync(join(work, 'aws.conf'), standIn.swanctl);

    box = new Charon(ns.box, join(work, 'box/charon'));
    aws = new Charon(ns.vpc, join(work, 'aws/charon'));
    await Promise.all([box.start(), aws.start()]);
    box.swanctl('--load-all', '--file', join(work, 'box/conf.d', `${MOVE_PATH_CONNECTION}.conf`));

    boxPg = new NsPostgres(ns.box, path.boxTunnelAddress);
    rdsPg = new NsPostgres(ns.vpc, RDS_ADDRESS);
    boxPg.start();
    rdsPg.start();
    const seeded = boxPg.psql(ns.box, 'postgres', 'CREATE DATABASE spillway');
    expect(seeded.stderr).toBe('');
    const filled = boxPg.psql(ns.box, 'spillway', `
      CREATE TABLE events (id bigserial PRIMARY KEY, kind text NOT NULL, body jsonb NOT NULL);
      INSERT INTO events (kind, body) SELECT 'k' || (g % 7), jsonb_build_object('n', g) FROM generate_series(1, 20000) g;`);
    expect(filled.stderr).toBe('');
    expect(rdsPg.psql(ns.vpc, 'postgres', 'CREATE DATABASE moved').stderr).toBe('');
    expect(rdsPg.psql(ns.vpc, 'postgres', 'CREATE DATABASE subscribed').stderr).toBe('');
  }, 120_000);

  afterAll(() => {
    box?.stop();
    aws?.stop();
    boxPg?.stop();
    rdsPg?.stop();
    ns?.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  it('the stand-in is what the template sets: IKEv2, AES-256/SHA2-256/group 14, box tunnel address <-> VPC', () => {
    expect(standIn.boxPublicIp).toBe(path.boxPublicIp);
    expect(standIn.boxCidr).toBe(`${path.boxTunnelAddress}/32`);
    expect(standIn.vpcCidr).toBe(targetOf(spillway, 'eks', 'eks').vpcCidr);
    expect(standIn.swanctl).toMatch(/proposals = aes256-sha256-modp2048/);
    expect(standIn.swanctl).toMatch(/start_action = start/);
  });

  it('without the tunnel: db:move on the box cannot reach the VPC, and the VPC cannot reach the box Postgres', () => {
    const run = dbMove();
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/ENETUNREACH|EHOSTUNREACH|ETIMEDOUT|timeout/i);
    expect(rdsPg.psql(ns.vpc, 'moved', 'SELECT to_regclass(\'public.events\')').stdout.trim()).toBe('');
    expect(boxPg.psql(ns.vpc, 'spillway', 'SELECT 1').status).not.toBe(0);
  }, 60_000);

  it('AWS starts the tunnel; db:move on the box copies and verifies across it', async () => {
    aws.swanctl('--load-all', '--file', join(work, 'aws.conf'));
    await waitFor('the box has an installed CHILD_SA', async () => /INSTALLED/.test(sasOnBox()), 30_000, 250);
    const sas = sasOnBox();
    expect(sas).toMatch(new RegExp(`local\\s+${path.boxTunnelAddress.replace(/\./g, '\\.')}/32`));
    expect(sas).toMatch(new RegExp(`remote\\s+${targetOf(spillway, 'eks', 'eks').vpcCidr.replace(/[./]/g, '\\$&')}`));

    const run = dbMove();
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/verify ok: 1 tables/);
    expect(rdsPg.psql(ns.vpc, 'moved', 'SELECT count(*) FROM public.events').stdout.trim()).toBe('20000');
    // The box leaves from its tunnel address; the VPC reaches the box's Postgres there (replicate's way).
    expect(rdsPg.psql(ns.box, 'moved', 'SELECT inet_client_addr()').stdout.trim()).toBe(path.boxTunnelAddress);
    expect(boxPg.psql(ns.vpc, 'spillway', 'SELECT inet_client_addr()').stdout.trim()).toBe(RDS_ADDRESS);
    // The box's Postgres is not on its public address, tunnel or not.
    const publicTry = inNs(ns.vpc, join(PG15_BIN, 'psql'), ['-X', '-tA', '-d', `postgres://postgres@${path.boxPublicIp}:5432/spillway`, '-c', 'SELECT 1'], { ...process.env, PGCONNECT_TIMEOUT: '3' });
    expect(publicTry.status).not.toBe(0);
    expect(publicTry.stderr).toMatch(/refused/);
    expect(sasOnBox()).toMatch(/in\s+\w+,\s+[1-9]\d* bytes/);
  }, 180_000);

  it('replicate mode: the VPC side subscribes to the box Postgres at its tunnel address, writes go on, then the switch', async () => {
    const started = dbMoveTo('subscribed', '--mode', 'replicate');
    expect(started.stderr).toBe('');
    expect(started.status).toBe(0);
    // the subscriber's walsender on the box: connected from the VPC, through the tunnel
    expect(boxPg.psql(ns.box, 'spillway', `SELECT client_addr FROM pg_stat_replication WHERE application_name = 'spillway_db_move'`).stdout.trim()).toBe(RDS_ADDRESS);
    expect(boxPg.psql(ns.box, 'spillway', `INSERT INTO events (kind, body) SELECT 'late', '{}' FROM generate_series(1, 500)`).stderr).toBe('');
    await waitFor('the late rows replicated', async () => rdsPg.psql(ns.vpc, 'subscribed', `SELECT count(*) FROM public.events WHERE kind = 'late'`).stdout.trim() === '500', 30_000, 250);
    const switched = dbMoveTo('subscribed', '--mode', 'replicate', '--switch');
    expect(switched.stderr).toBe('');
    expect(switched.status).toBe(0);
    expect(switched.stdout).toMatch(/verify ok: 1 tables/);
    expect(boxPg.psql(ns.box, 'spillway', 'SELECT count(*) FROM pg_replication_slots').stdout.trim()).toBe('0');
  }, 180_000);

  it('the tunnel closed: the VPC no longer reaches the box Postgres', async () => {
    aws.swanctl('--terminate', '--ike', 'aws-tunnel-1');
    await waitFor('no SA on the box', async () => !/ESTABLISHED|INSTALLED/.test(sasOnBox()), 30_000, 250);
    expect(boxPg.psql(ns.vpc, 'spillway', 'SELECT 1').status).not.toBe(0);
    expect(dbMove('--verify-only').status).toBe(1);
  }, 60_000);
});
