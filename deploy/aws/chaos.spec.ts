// The FIS experiment templates: each stops on the service-health alarms the alarms stack creates,
// each action is called the way FIS defines it (the CloudFormation schema types action parameters
// as free strings, so the validator cannot see a misspelled one: this table can), and the FIS role
// writes only to named or tagged resources.
import { Match, Template } from 'aws-cdk-lib/assertions';
import { spillway as definition } from '../spillway';
import { eksDefinition } from '../model/targets';
import { serviceHealthAlarms } from './alarms';
import { buildAwsApp } from './app';

const spillway = eksDefinition(definition);

const { stacks } = buildAwsApp(spillway);
const stack = (name: string) => Template.fromStack(stacks.find((s) => s.stackName === `spillway-${name}`)!);
const chaos = stack('chaos');
const templates = Object.values(chaos.findResources('AWS::FIS::ExperimentTemplate')).map((r) => r.Properties);

/**
 * From the FIS actions reference (docs.aws.amazon.com/fis/latest/userguide/fis-actions-reference.html
 * and the target resource types in fis/latest/userguide/targets.html), for the actions used here:
 * the action's target key and resource type, its required and optional parameters; the target
 * type's parameters.
 */
const FIS_ACTIONS: Record<string, { targetKey: string; resourceType: string; required: string[]; optional: string[] }> = {
  'aws:eks:pod-delete': { targetKey: 'Pods', resourceType: 'aws:eks:pod', required: ['kubernetesServiceAccount'], optional: ['gracePeriodSeconds', 'fisPodContainerImage', 'maxErrorsPercent', 'fisPodLabels', 'fisPodAnnotations', 'fisPodSecurityPolicy'] },
  'aws:ec2:stop-instances': { targetKey: 'Instances', resourceType: 'aws:ec2:instance', required: [], optional: ['startInstancesAfterDuration', 'completeIfInstancesTerminated'] },
  'aws:rds:reboot-db-instances': { targetKey: 'DBInstances', resourceType: 'aws:rds:db', required: [], optional: ['forceFailover'] },
  'aws:network:disrupt-connectivity': { targetKey: 'Subnets', resourceType: 'aws:ec2:subnet', required: ['scope', 'duration'], optional: ['prefixListIdentifier'] },
};
const TARGET_PARAMETERS: Record<string, { required: string[]; optional: string[] }> = {
  'aws:eks:pod': { required: ['clusterIdentifier', 'namespace', 'selectorType', 'selectorValue'], optional: ['availabilityZoneIdentifier', 'targetContainerName'] },
  'aws:ec2:instance': { required: [], optional: [] },
  'aws:rds:db': { required: [], optional: ['availabilityZoneIdentifiers'] },
  'aws:ec2:subnet': { required: [], optional: ['availabilityZoneIdentifier', 'vpc'] },
};

/** An experiment template's properties as CloudFormation has them. */
type Props = { Actions: Record<string, { ActionId: string; Parameters?: Record<string, string>; Targets: Record<string, string> }>; Targets: Record<string, { ResourceType: string; Parameters?: Record<string, string> }> };

/** What FIS would refuse in one template's actions and targets. */
function fisProblems(t: Props): string[] {
  const p: string[] = [];
  const params = (where: string, given: Record<string, string> = {}, spec: { required: string[]; optional: string[] }) => {
    for (const r of spec.required) if (!(r in given)) p.push(`${where}: missing parameter ${r}`);
    for (const k of Object.keys(given)) if (![...spec.required, ...spec.optional].includes(k)) p.push(`${where}: unknown parameter ${k}`);
  };
  for (const [name, action] of Object.entries(t.Actions)) {
    const spec = FIS_ACTIONS[action.ActionId];
    if (!spec) { p.push(`${name}: action ${action.ActionId} not in the table`); continue; }
    params(name, action.Parameters, spec);
    for (const [key, targetName] of Object.entries(action.Targets)) {
      if (key !== spec.targetKey) p.push(`${name}: target key ${key}, FIS expects ${spec.targetKey}`);
      const target = t.Targets[targetName];
      if (target?.ResourceType !== spec.resourceType) p.push(`${name}: target ${targetName} is ${target?.ResourceType}, FIS expects ${spec.resourceType}`);
      else params(`${name} target`, target.Parameters, TARGET_PARAMETERS[target.ResourceType]);
    }
  }
  return p;
}

describe('FIS experiment templates', () => {
  it('the five experiments of the runbook, each on its action', () => {
    expect(templates.map((t) => Object.values((t as Props).Actions)[0].ActionId).sort()).toEqual([
      'aws:ec2:stop-instances', 'aws:eks:pod-delete', 'aws:eks:pod-delete', 'aws:network:disrupt-connectivity', 'aws:rds:reboot-db-instances',
    ]);
  });

  it('every action and target is called the way FIS defines it', () => {
    for (const t of templates) expect(fisProblems(t)).toEqual([]);
  });

  it('the FIS table sees a misspelled parameter and a wrong target key (it can fail)', () => {
    const bad = structuredClone(templates.find((t) => JSON.stringify(t).includes('pod-delete'))) as Props;
    const [action] = Object.values(bad.Actions);
    action.Parameters = { kubernetesServiceAcount: 'fis-experiment' };
    action.Targets = { Pod: Object.values(action.Targets)[0] };
    expect(fisProblems(bad)).toEqual(expect.arrayContaining([
      expect.stringMatching(/missing parameter kubernetesServiceAccount/), expect.stringMatching(/unknown parameter kubernetesServiceAcount/), expect.stringMatching(/target key Pod, FIS expects Pods/),
    ]));
  });

  it('each stops on the service-health alarms, and those alarms exist in the alarms stack', () => {
    const names = serviceHealthAlarms(spillway);
    const existing = Object.values(stack('alarms').findResources('AWS::CloudWatch::Alarm')).map((r) => r.Properties.AlarmName);
    expect(existing).toEqual(expect.arrayContaining(names));
    for (const t of templates) {
      expect(t.StopConditions.map((c: { Source: string }) => c.Source)).toEqual(names.map(() => 'aws:cloudwatch:alarm'));
      const arns = JSON.stringify(t.StopConditions);
      for (const n of names) expect(arns).toContain(`:alarm:${n}`);
    }
  });

  it('the zone experiments hit the first AZ only; the failover hits the primary only', () => {
    const zone = spillway.target.aws.availabilityZones[0];
    const byAction = (id: string) => templates.find((t) => Object.values(t.Actions as Record<string, { ActionId: string }>)[0].ActionId === id)!;
    expect(Object.values(byAction('aws:ec2:stop-instances').Targets)[0]).toMatchObject({
      ResourceTags: { 'eks:cluster-name': 'spillway-prod' },
      Filters: expect.arrayContaining([{ Path: 'Placement.AvailabilityZone', Values: [zone] }]),
    });
    expect(JSON.stringify(byAction('aws:rds:reboot-db-instances').Targets)).toMatch(/:rds:.*:db:.*ImportValue.*spillway-data/);
    expect(byAction('aws:rds:reboot-db-instances').Actions['database-failover'].Parameters).toEqual({ forceFailover: 'true' });
    const subnet = JSON.stringify(byAction('aws:network:disrupt-connectivity').Targets);
    expect(subnet).toMatch(/:subnet\/.*ImportValue/);
    // The subnet imported is the private one of that zone (its export carries the subnet's construct name).
    expect(subnet).toMatch(/privateSubnet1/i);
  });

  it('the FIS role: no wildcard action, every write on named resources or under a condition, a Kubernetes user on the cluster', () => {
    const [policy] = Object.values(chaos.findResources('AWS::IAM::Policy'));
    const statements = policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown; Condition?: unknown }>;
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
    for (const s of statements) {
      const writes = [s.Action].flat().filter((a) => !/:(Describe|Get|List)/.test(a));
      if (writes.length && JSON.stringify(s.Resource).includes('*')) expect({ writes, condition: s.Condition }).toEqual({ writes, condition: expect.anything() });
    }
    chaos.hasResourceProperties('AWS::EKS::AccessEntry', { ClusterName: 'spillway-prod', Username: 'fis-experiment', Type: 'STANDARD' });
    chaos.hasResourceProperties('AWS::IAM::Role', { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } } })] } });
  });
});

describe('FIS pod actions under Pod Security', () => {
  it("pod-delete runs FIS's pod at the restricted level the app namespace enforces", () => {
    const podActions = templates.flatMap((t) => Object.values((t as Props).Actions)).filter((a) => a.ActionId.startsWith('aws:eks:pod'));
    expect(podActions).toHaveLength(2);
    for (const a of podActions) expect(a.Parameters?.fisPodSecurityPolicy).toBe('restricted');
  });
});
