// A release on EKS is blue/green: the new image goes to the slot that takes no traffic, is smoke-tested
// there through its own Service, and only then (behind the manual approval) takes the ALB's weight.
// The history is a ConfigMap in the namespace; a rollback gives the weight back to the previous
// slot, whose Deployment still runs the previous image.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { manifestObjects } from '../eks/chart';
import { migrateJobName } from '../eks/migrate-job';
import { EksDefinition } from '../model/definition';
import { formatRelease, HISTORY_CONFIGMAP, parseHistory, previousRelease, Release } from './history';
import { NOT_RELEASED } from './rbac';

export { HISTORY_CONFIGMAP };
import { ReleaseIo } from './hetzner-release';
import { pinnedImage } from './image-ref';

type Slot = 'blue' | 'green';
type K8sObject = { kind: string; metadata: { name: string } };

const other = (slot: Slot): Slot => (slot === 'blue' ? 'green' : 'blue');

function publicService(def: EksDefinition) {
  const svc = def.services.find((s) => s.public);
  if (!svc) throw new Error('no public service in the definition: nothing to shift traffic for');
  return svc;
}

/** The definition as one slot of it is deployed: that slot's image, and all the weight on `live`. */
function slotDefinition(def: EksDefinition, slot: Slot, live: Slot, image?: string): EksDefinition {
  const next = structuredClone(def);
  if (image) next.target.image = pinnedImage(image);
  next.target.slot = slot;
  next.target.weights = { blue: live === 'blue' ? 100 : 0, green: live === 'green' ? 100 : 0 };
  return next;
}

export class EksRelease {
  private readonly ns: string;
  constructor(private readonly def: EksDefinition, private readonly io: ReleaseIo, private readonly dryRun: boolean) {
    this.ns = def.target.namespace;
  }

  /** Reads (`get`) run even with --dry-run: the plan is about the cluster as it is. */
  private kubectl(args: string[], inherit = false) {
    const full = ['-n', this.ns, ...args];
    if (this.dryRun && args[0] !== 'get') {
      this.io.log(`  kubectl ${full.join(' ')}`);
      return { status: 0, stdout: '', stderr: '' };
    }
    const r = this.io.run('kubectl', full, { inherit });
    if (r.error) throw new Error('kubectl not found; install it and point it at the cluster (aws eks update-kubeconfig)');
    return r;
  }

  /** Applies objects from a scratch file (server-side, the field manager deploy:eks uses). */
  private apply(objects: object[], what: string): void {
    const dir = mkdtempSync(join(tmpdir(), 'spillway-release-'));
    try {
      const file = join(dir, 'objects.yaml');
      writeFileSync(file, objects.map((o) => `---\n${stringify(o, { sortMapEntries: true, lineWidth: 0 })}`).join(''));
      if (this.dryRun) this.io.log(`  # ${what}: ${objects.map((o) => `${(o as K8sObject).kind}/${(o as K8sObject).metadata.name}`).join(', ')}`);
      const r = this.kubectl(['apply', '--server-side', '--field-manager=spillway', '-f', file], true);
      if (r.status !== 0) throw new Error(`the cluster refused ${what} (above)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  history(): Release[] {
    const r = this.kubectl(['get', 'configmap', HISTORY_CONFIGMAP, '--ignore-not-found', '-o', 'jsonpath={.data.history}']);
    if (r.status !== 0) throw new Error(`could not read configmap ${HISTORY_CONFIGMAP}: ${r.stderr.trim()}`);
    return parseHistory(r.stdout);
  }

  private record(history: Release[], release: Release): void {
    const text = [...history, release].map(formatRelease).join('\n') + '\n';
    this.apply([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: HISTORY_CONFIGMAP, namespace: this.ns }, data: { history: text } }], 'the release history');
  }

  /** The slot taking the traffic: the last release recorded, else the definition's weights. */
  liveSlot(history: Release[]): Slot {
    const w = this.def.target.weights;
    return history.at(-1)?.slot ?? (w.blue >= w.green ? 'blue' : 'green');
  }

  private slotImage(slot: Slot): string {
    const r = this.kubectl(['get', 'deployment', `${publicService(this.def).name}-${slot}`, '-o', 'jsonpath={.spec.template.spec.containers[0].image}']);
    return r.status === 0 ? r.stdout.trim() : '';
  }

  /** Everything of the definition but the Namespace and the RBAC (deploy:eks made them) and the Ingress (the shift's). */
  deploy(image: string): Slot {
    const history = this.history();
    const live = this.liveSlot(history);
    const idle = other(live);
    const def = slotDefinition(this.def, idle, live, image);
    const svc = publicService(def);
    this.io.log(`release --target eks: ${image} to the idle slot ${idle} (${live} keeps the traffic)`);
    // The release's rights cover exactly these (deploy/release/rbac.ts): the weights are the shift's.
    this.apply(manifestObjects(def).filter((o) => !NOT_RELEASED.includes((o as K8sObject).kind)), `the manifests for slot ${idle}`);
    const job = migrateJobName(def);
    if (this.kubectl(['wait', '--for=condition=complete', `job/${job}`, '--timeout=600s'], true).status !== 0) throw new Error(`the migration Job ${job} did not complete`);
    if (this.kubectl(['rollout', 'status', `deployment/${svc.name}-${idle}`, '--timeout=300s'], true).status !== 0) throw new Error(`${svc.name}-${idle} did not roll out`);
    // Through the API server's service proxy: the slot's own Service, as the ALB will reach it.
    const proxy = `/api/v1/namespaces/${this.ns}/services/${svc.name}-${idle}:http/proxy/health/ready`;
    if (this.dryRun) this.io.log(`  kubectl get --raw ${proxy}`);
    const smoke = this.dryRun ? { status: 0, stdout: '', stderr: '' } : this.kubectl(['get', '--raw', proxy]);
    if (smoke.status !== 0) throw new Error(`smoke test of ${svc.name}-${idle} failed: ${smoke.stderr.trim() || smoke.stdout.trim()}`);
    this.io.log(`release --target eks: ${svc.name}-${idle} is ready on ${image}; shift the traffic with npm run release -- --target eks --shift`);
    return idle;
  }

  /** All the weight to `slot`, then the history line. */
  private moveTraffic(history: Release[], slot: Slot, how: Release['how']): void {
    const image = this.slotImage(slot);
    const def = slotDefinition(this.def, slot, slot);
    const ingress = manifestObjects(def).filter((o) => (o as K8sObject).kind === 'Ingress');
    this.apply(ingress, `the weights (${slot} 100)`);
    this.record(history, { at: this.io.now().toISOString(), how, image, slot });
    this.io.log(`${how === 'rollback' ? 'rollback' : 'release'} --target eks: ${slot} takes all the traffic (${image})`);
  }

  shift(): void {
    const history = this.history();
    const live = this.liveSlot(history);
    // The first shift records what served before it, so that it can be rolled back to.
    const seeded = history.length ? history : [{ at: this.io.now().toISOString(), how: 'deploy' as const, image: this.slotImage(live), slot: live }];
    this.moveTraffic(seeded, other(live), 'shift');
  }

  rollback(): void {
    const history = this.history();
    const pair = previousRelease(history);
    if (!pair) throw new Error(`no earlier release in configmap ${HISTORY_CONFIGMAP}: nothing to roll back to`);
    const slot = pair.previous.slot ?? other(this.liveSlot(history));
    const running = this.slotImage(slot);
    if (running !== pair.previous.image) {
      throw new Error(`slot ${slot} now runs ${running || 'nothing'}, not ${pair.previous.image} (a later release went there); deploy it again: npm run release -- --target eks --image ${pair.previous.image}`);
    }
    this.moveTraffic(history, slot, 'rollback');
  }
}
