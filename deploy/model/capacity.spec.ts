import { SpillwayDefinition } from './definition';
import { capacityProblems, connectionShares } from './capacity';
import { nodeAllocatable, rdsMaxConnections } from './capacity-tables';
import { definitionProblems } from './validate';
import { spillway } from '../spillway';
import { eksDefinition, targetOf } from './targets';

function changed(edit: (d: SpillwayDefinition) => void): SpillwayDefinition {
  const def = structuredClone(spillway);
  edit(def);
  return def;
}

/** The seed's numbers before capacity was checked: absorber 5-50 with the store's fixed pool of 4, worker 1-20 on DB_POOL_MAX's default 20. */
const seed = (d: SpillwayDefinition) => {
  Object.assign(d.services[0], { dbPoolMax: 4, autoscaling: { min: 5, max: 50, cpuPercent: 70 } });
  Object.assign(d.services[1], { dbPoolMax: 20, autoscaling: { min: 1, max: 20, queueDepthPerReplica: 100 } });
};

describe('capacity at full scale', () => {
  it('the tables give the numbers their sources state', () => {
    expect(nodeAllocatable('t3.medium')).toEqual({ cpuMillis: 1930, memoryMiB: 3246, pods: 17 });
    expect(rdsMaxConnections('db.t3.medium')).toBe(450);
    expect(rdsMaxConnections('db.t3.micro')).toBe(112);
  });

  it('the shipped definition fits: connections, CPU, memory and pods', () => {
    expect(capacityProblems(spillway)).toEqual([]);
    expect(definitionProblems(spillway)).toEqual([]);
    expect(connectionShares(eksDefinition(spillway), 450).map((s) => s.connections)).toEqual([110, 120, 2, 100]);
  });

  it("refuses the seed's numbers, naming them", () => {
    expect(definitionProblems(changed(seed))).toEqual([
      "capacity: database connections at full scale come to 722 (absorber 55 x 4, worker 20 x 20, migrate Job 1 x 2, Lambda low 50 x 2 = 100 through the proxy (it opens at most 225)), over 360: db.t3.medium's max_connections 450 less 20% in reserve; lower autoscaling.max or dbPoolMax, or choose a larger targets.eks.aws.database.instanceClass",
      'capacity: CPU requests at full scale come to 20,800m (absorber 55 x 200m = 11,000m, worker 20 x 200m = 4,000m, migrate Job 100m, cluster add-ons 950m, DaemonSets on 10 x 475m = 4,750m), over 10 x t3.medium allocatable 1,930m = 19,300m; lower autoscaling.max or requests, or raise targets.eks.aws.cluster.nodeGroup.max or its instanceType',
    ]);
  });

  it.each<[string, (d: SpillwayDefinition) => void, string]>([
    ['memory over the node group (both services share the seed resources)', (d) => (d.services[0].resources.requests.memoryMiB = 600), 'capacity: memory requests at full scale come to 40,590 MiB (absorber 55 x 600 MiB'],
    ['more pods than the nodes take', (d) => Object.assign(d.services[0].resources.requests, { cpuMillis: 10 }) && (d.services[0].autoscaling.max = 100), 'capacity: pods at full scale come to 188 (absorber 105 x 1 = 105'],
    ['a worker pool below its deliveries in flight', (d) => (d.services[1].dbPoolMax = 12), 'services[1].dbPoolMax: 12 is below the 15 its pods need on hetzner (critical 8 + normal 4 + low 2 deliveries in flight, + 1 for the failure check)'],
    ['a smaller database', (d) => (targetOf(d, 'eks', 'eks').aws.database.instanceClass = 'db.t3.small'), "over 180: db.t3.small's max_connections 225"],
    ['a database class not in the table', (d) => (targetOf(d, 'eks', 'eks').aws.database.instanceClass = 'db.x9.huge'), 'aws.database.instanceClass: no memory known for "db.x9.huge"; add it to RDS_CLASS_MEMORY_GIB'],
    ['a node type not in the table', (d) => (targetOf(d, 'eks', 'eks').aws.cluster.nodeGroup.instanceType = 'c7i.large'), 'aws.cluster.nodeGroup.instanceType: no allocatable known for "c7i.large"'],
  ])('names %s', (_what, edit, message) => {
    expect(capacityProblems(changed(edit))).toEqual(expect.arrayContaining([expect.stringContaining(message)]));
  });

  it('counts what RDS Proxy opens for the Lambda lanes, never more than its share', () => {
    const def = changed((d) => Object.assign(d.services[1].lambda!, { maxConcurrency: 500 }));
    expect(connectionShares(eksDefinition(def), 450).at(-1)).toEqual({ label: 'Lambda low 500 x 2 = 1000 through the proxy (it opens at most 225)', connections: 225 });
  });

  it('leaves the nodes to AWS under Auto Mode', () => {
    const def = changed((d) => {
      targetOf(d, 'eks', 'eks').aws.cluster.compute = 'auto-mode';
      d.services[0].autoscaling.max = 500;
    });
    expect(capacityProblems(def).filter((p) => p.includes('CPU'))).toEqual([]);
  });
});
