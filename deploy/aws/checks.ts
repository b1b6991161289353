// The offline checks every rendered AWS template must pass, shared by the specs: the AWS
// CloudFormation validator in strict mode, cdk-nag's AwsSolutions rules, and a scan for secrets.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, RegoEngine, TemplateFile } from '@aws/cloudformation-validate';
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EksDefinition } from '../model/definition';
import { AwsAppOptions, buildAwsApp } from './app';

/**
 * Strict: a warning fails like an error. One rule is off, for one resource type: W3010 (literal
 * AZs) on subnets. The definition names its AZs on purpose so that synth needs no AWS lookup, and
 * CDK's own Vpc acknowledges the same rule for the same reason.
 */
export function templateFindings(engine: Engine, file: string, region: string, accountId: string): string[] {
  const report = engine.validateStandard(new TemplateFile(file), {
      strict: true,
      severityLevel: 'WARN',
      pseudoParameterOverrides: { region, accountId },
      exclude: { resourceTypes: [{ ruleId: 'W3010', resourceType: 'AWS::EC2::Subnet' }] },
    });
  const findings = report.diagnostics.map((d) => `${d.severity} ${d.ruleId} ${d.entity?.logicalId ?? ''} ${d.propertyPath ?? ''}: ${d.message}`);
  if (report.status !== 'OK') findings.push(`validator status ${report.status}`);
  return findings;
}

/** One validator for many templates: starting it (compiling its rules) is the slow part. Free it after. */
export function newValidator(): Engine {
  return new RegoEngine();
}

/** cdk-nag AwsSolutions violations not acknowledged (with a reason) beside their resource. */
export function nagViolations(def: EksDefinition, opts?: AwsAppOptions): string[] {
  const outdir = mkdtempSync(join(tmpdir(), 'spillway-nag-'));
  try {
    const { app } = buildAwsApp(def, outdir, opts);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    try {
      app.synth();
      return [];
    } catch {
      const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
        pluginReports: Array<{ violations: Array<{ ruleName: string; violatingConstructs?: Array<{ constructPath: string }> }> }>;
      };
      return report.pluginReports.flatMap((r) => r.violations.map((v) => `${v.ruleName} ${(v.violatingConstructs ?? []).map((c) => c.constructPath).join(', ')}`));
    }
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

const strings = (v: unknown): string[] =>
  typeof v === 'string' ? [v] : Array.isArray(v) ? v.flatMap(strings) : v && typeof v === 'object' ? Object.values(v).flatMap(strings) : [];

/**
 * Secret values in a template: a password-like property that is not a Secrets Manager dynamic
 * reference, a secret template that carries a password, an access key id or a private key anywhere.
 */
export function secretValues(content: string): string[] {
  const found: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== 'object') return;
    for (const [key, value] of Object.entries(v)) {
      if (/password|secretaccesskey|authtoken/i.test(key) && typeof value !== 'number' && !strings(value).join('').startsWith('{{resolve:secretsmanager:')) {
        found.push(`${key}: not a Secrets Manager reference`);
      }
      if (key === 'SecretStringTemplate' && /pass|secret|key/i.test(Object.keys(JSON.parse(String(value)) as object).join(' '))) found.push(`${key}: carries a secret`);
      walk(value);
    }
  };
  walk(JSON.parse(content));
  for (const text of strings(JSON.parse(content))) {
    if (/AKIA[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) found.push(`${text.slice(0, 24)}...: a credential`);
  }
  return found;
}

export function renderedTemplates(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.template.json')).sort();
}
