// Our Load Balancer Controller policy grants every action of the controller's documented policy
// (the upstream list is a dated fixture: tests run offline; refresh it when the chart pin moves).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as iam from 'aws-cdk-lib/aws-iam';
import { lbControllerStatements } from './lb-controller-policy';

const upstream = JSON.parse(readFileSync(join(__dirname, 'fixtures/lb-controller-iam-actions.json'), 'utf8')) as { actions: string[] };

/** IAM action patterns (`service:Describe*`) as one case-insensitive test, as IAM matches them. */
export function grants(patterns: string[], action: string): boolean {
  return patterns.some((p) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(action));
}

const ours = (statements: iam.PolicyStatement[]) =>
  statements.flatMap((s) => (s.toStatementJson() as { Action: string | string[] }).Action).flatMap((a) => (Array.isArray(a) ? a : [a]));

describe('Load Balancer Controller IAM policy against upstream', () => {
  it('the fixture is the upstream list (80 actions at v3.5.0)', () => {
    expect(upstream.actions).toHaveLength(80);
  });

  it('grants every action upstream grants', () => {
    const patterns = ours(lbControllerStatements('spillway-prod'));
    expect(upstream.actions.filter((a) => !grants(patterns, a))).toEqual([]);
  });

  it('grants nothing upstream does not (no extra write action slipped in)', () => {
    const patterns = ours(lbControllerStatements('spillway-prod'));
    expect(patterns.filter((p) => !upstream.actions.some((a) => grants([p], a)))).toEqual([]);
  });

  it('sees a missing action (it can fail)', () => {
    const patterns = ours(lbControllerStatements('spillway-prod')).filter((a) => a !== 'elasticloadbalancing:SetRulePriorities');
    expect(upstream.actions.filter((a) => !grants(patterns, a))).toEqual(['elasticloadbalancing:SetRulePriorities']);
  });
});
