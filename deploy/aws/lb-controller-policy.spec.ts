// Our Load Balancer Controller policy against the controller's documented policy (upstream's
// iam_policy.json, a dated fixture: tests run offline; refresh it when the chart pin moves):
// the same actions, and every action upstream grants only under a condition is conditioned here
// too, on the cluster's tag. Whether the conditions let the controller's real calls through is
// iam-simulate.spec.ts's question.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lbControllerStatements } from './lb-controller-policy';

interface Statement {
  Action: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}
const upstream = JSON.parse(readFileSync(join(__dirname, 'fixtures/lb-controller-iam-policy.json'), 'utf8')) as { policy: { Statement: Statement[] } };
const list = (a: string | string[]) => (Array.isArray(a) ? a : [a]);
const upstreamActions = [...new Set(upstream.policy.Statement.flatMap((s) => list(s.Action)))];

/** IAM action patterns (`service:Describe*`) as one case-insensitive test, as IAM matches them. */
export function grants(patterns: string[], action: string): boolean {
  return patterns.some((p) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(action));
}

const ourStatements = (statements = lbControllerStatements('spillway-prod')) => statements.map((s) => s.toStatementJson() as Statement);
const ours = (statements: Statement[]) => statements.flatMap((s) => list(s.Action));

/** Condition keys of every statement granting `action` (an empty list: granted somewhere without a condition). */
function conditionKeys(statements: Statement[], action: string): string[][] {
  return statements.filter((s) => grants(list(s.Action), action)).map((s) => Object.values(s.Condition ?? {}).flatMap((c) => Object.keys(c)));
}

/** Actions upstream grants only under a condition that we grant somewhere without one. */
function unconditioned(statements: Statement[]): string[] {
  return upstreamActions.filter((a) => conditionKeys(upstream.policy.Statement, a).every((keys) => keys.length > 0) && conditionKeys(statements, a).some((keys) => keys.length === 0));
}

describe('Load Balancer Controller IAM policy against upstream', () => {
  it('the fixture is the upstream policy (80 actions in 16 statements at v3.5.0)', () => {
    expect(upstreamActions).toHaveLength(80);
    expect(upstream.policy.Statement).toHaveLength(16);
  });

  it('grants every action upstream grants', () => {
    const patterns = ours(ourStatements());
    expect(upstreamActions.filter((a) => !grants(patterns, a))).toEqual([]);
  });

  it('grants nothing upstream does not (no extra write action slipped in)', () => {
    const patterns = ours(ourStatements());
    expect(patterns.filter((p) => !upstreamActions.some((a) => grants([p], a)))).toEqual([]);
  });

  it('sees a missing action (it can fail)', () => {
    const patterns = ours(ourStatements()).filter((a) => a !== 'elasticloadbalancing:SetRulePriorities');
    expect(upstreamActions.filter((a) => !grants(patterns, a))).toEqual(['elasticloadbalancing:SetRulePriorities']);
  });

  it('conditions: what upstream grants only under a condition, we grant only under one too', () => {
    expect(unconditioned(ourStatements())).toEqual([]);
  });

  it("conditions: every write upstream limits by the cluster's tag is limited by a cluster tag here", () => {
    const clusterKey = (keys: string[]) => keys.some((k) => /k8s\.aws\/cluster$/.test(k) || k === 'aws:TagKeys' || k.endsWith('CreateAction'));
    const byTag = upstreamActions.filter((a) => conditionKeys(upstream.policy.Statement, a).every((keys) => keys.length > 0 && clusterKey(keys)));
    expect(byTag.length).toBeGreaterThan(5);
    expect(byTag.filter((a) => !conditionKeys(ourStatements(), a).every(clusterKey))).toEqual([]);
  });

  it('sees a condition dropped (it can fail)', () => {
    const loose = lbControllerStatements('spillway-prod').map((s) => s.toStatementJson() as Statement).map((s) => (list(s.Action).includes('elasticloadbalancing:DeleteLoadBalancer') ? { ...s, Condition: undefined } : s));
    expect(unconditioned(loose)).toContain('elasticloadbalancing:DeleteLoadBalancer');
  });
});
