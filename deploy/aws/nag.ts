// cdk-nag (v3, a CDK validation plugin) findings acknowledged, each with the reason it is acceptable
// here. Kept beside the resource they are about (each stack calls `allow` on its own constructs),
// never in one global list; an acknowledgment covers the construct and what it contains.
import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** A finding (`AwsSolutions-RULE` or `AwsSolutions-RULE[finding]`) on this resource, and why it is acceptable. */
export type Allowance = [rule: string, reason: string];

export function allow(construct: IConstruct, allowances: Allowance[]): void {
  for (const [id, reason] of allowances) Validations.of(construct).acknowledge({ id: `AwsSolutions::${id}`, reason });
}
