// The DR region from the definition (`aws.dr`): its stacks exist only when asked for, pass the same
// offline checks as the committed templates (validator in strict mode, cdk-nag, no secret), and
// carry the numbers that matter (vault under a key of the DR region, copy retention, replication).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { DefinitionError } from '../model/validate';
import { spillway as definition } from '../spillway';
import { eksDefinition } from '../model/targets';
import { buildAwsApp } from './app';
import { nagViolations, newValidator, secretValues, templateFindings } from './checks';
import { stackNames } from './deploy-aws';

const spillway = eksDefinition(definition);

const def = structuredClone(spillway);
def.target.aws.dr = { region: 'eu-west-1' };
const { stacks } = buildAwsApp(def);
const t = (name: string) => Template.fromStack(stacks.find((s) => s.stackName === `spillway-${name}`)!);

describe('aws.dr: the second region', () => {
  it('adds the DR stack (in the DR region) and the copy stack, in deploy order, only when asked', () => {
    expect(stacks.map((s) => s.stackName)).toEqual(stackNames(def));
    expect(stackNames(def)).toEqual(expect.arrayContaining(['spillway-dr', 'spillway-dr-copy']));
    expect(stackNames(def).indexOf('spillway-dr')).toBeLessThan(stackNames(def).indexOf('spillway-backups'));
    expect(stacks.find((s) => s.stackName === 'spillway-dr')!.region).toBe('eu-west-1');
    expect(buildAwsApp(spillway).stacks.map((s) => s.stackName)).not.toContain('spillway-dr');
  });

  it('DR region: a rotating KMS key, the vault encrypted with it, a versioned private replica bucket', () => {
    const dr = t('dr');
    dr.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    dr.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/spillway-dr' });
    const key = Object.keys(dr.findResources('AWS::KMS::Key'))[0];
    dr.hasResourceProperties('AWS::Backup::BackupVault', { BackupVaultName: 'spillway-dr', EncryptionKeyArn: { 'Fn::GetAtt': [key, 'Arn'] } });
    dr.hasResourceProperties('AWS::S3::Bucket', {
      BucketName: 'spillway-db-backups-123456789012-eu-west-1',
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: Match.objectLike({ BlockPublicAcls: true, RestrictPublicBuckets: true }),
    });
  });

  it('primary region: a daily snapshot of the RDS primary copied to the DR vault, kept backupRetentionDays', () => {
    const copy = t('dr-copy');
    const [rule] = Object.values(copy.findResources('AWS::Backup::BackupPlan'))[0].Properties.BackupPlan.BackupPlanRule;
    expect(rule).toMatchObject({ ScheduleExpression: 'cron(0 3 * * ? *)', CopyActions: [{ Lifecycle: { DeleteAfterDays: 7 } }] });
    expect(JSON.stringify(rule.CopyActions[0].DestinationBackupVaultArn)).toContain(':backup:eu-west-1:123456789012:backup-vault:spillway-dr');
    // The primary's ARN, built from the data stack's instance (an export of that stack).
    const [selection] = Object.values(copy.findResources('AWS::Backup::BackupSelection'));
    expect(JSON.stringify(selection.Properties.BackupSelection.Resources)).toMatch(/:rds:.*:db:.*Fn::ImportValue.*spillway-data/);
  });

  it('the backups bucket replicates every object to its replica in the DR region', () => {
    t('backups').hasResourceProperties('AWS::S3::Bucket', {
      ReplicationConfiguration: {
        Rules: [Match.objectLike({ Status: 'Enabled', Destination: { Bucket: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([':s3:::spillway-db-backups-123456789012-eu-west-1'])] }) } })],
      },
    });
  });

  it('every template passes @aws/cloudformation-validate (strict) in its own region, with no secret', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'spillway-dr-'));
    const validator = newValidator();
    try {
      buildAwsApp(def, outdir).app.synth();
      const files = readdirSync(outdir).filter((f) => /^spillway-dr.*\.template\.json$|^spillway-backups\.template\.json$/.test(f));
      expect(files.sort()).toEqual(['spillway-backups.template.json', 'spillway-dr-copy.template.json', 'spillway-dr.template.json']);
      for (const f of files) {
        const region = f === 'spillway-dr.template.json' ? 'eu-west-1' : def.target.region;
        expect({ f, findings: templateFindings(validator, join(outdir, f), region, def.target.accountId) }).toEqual({ f, findings: [] });
        expect(secretValues(readFileSync(join(outdir, f), 'utf8'))).toEqual([]);
      }
    } finally {
      validator.free();
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  it('cdk-nag: every finding acknowledged with a reason', () => {
    expect(nagViolations(def)).toEqual([]);
  });

  it('refuses a DR region that is the primary one or not a region name', () => {
    const bad = structuredClone(spillway);
    bad.target.aws.dr = { region: 'eu-central-1' };
    expect(() => buildAwsApp(bad)).toThrow(DefinitionError);
    expect(() => buildAwsApp(bad)).toThrow(/aws.dr.region: eu-central-1 is targets.eks.region/);
    bad.target.aws.dr = { region: 'frankfurt' };
    expect(() => buildAwsApp(bad)).toThrow(/aws.dr.region: "frankfurt" is not an AWS region name/);
  });
});
