// `npm run synth [-- --check]`: render the definition into every target's files.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DefinitionError } from './model/validate';
import { RENDERED_DIRS, RenderError, renderAll, renderedDirs, ROOT } from './outputs';
import { spillway } from './spillway';

const HELP = `Usage: npm run synth [-- --check]

Renders deploy/spillway.ts into:
  docker-compose.yml                            the Hetzner stack
  deploy/eks/rendered/spillway.k8s.yaml         Kubernetes objects (cdk8s chart)
  deploy/aws/rendered/                          the AWS account as CloudFormation (CDK cloud assembly):
                                                VPC, EKS, RDS, SQS, pod roles, ECR, Route 53 weights, budget,
                                                CloudWatch alarms, FIS experiments, CI role (and the DR region with aws.dr,
                                                the Lambda workers and RDS Proxy with a Lambda lane)
  deploy/k6/rendered/spillway-load.js           the staging load test (k6), from the definition's \`load\`
  docs/cost/cost.md, cost.svg                   capacity and monthly cost per target (bench results + prices)
  .github/workflows/                            CI, release and the Hetzner deploy (GitHub Actions)
  deploy/rendered/targets.json                  each target's kind and broker by name (read by npm run console)

Validates the definition and every output first; nothing is written if anything fails.

  --check   write nothing; exit 1 when a committed output differs from a fresh render (CI)
  --help    this text
Exit codes: 0 ok, 1 stale outputs (--check), 2 invalid definition or output.`;

/** Returns the paths whose content on disk differs from `outputs`. */
export function staleOutputs(outputs: Record<string, string>, root = ROOT): string[] {
  return Object.entries(outputs)
    .filter(([path, content]) => {
      const file = join(root, path);
      return !existsSync(file) || readFileSync(file, 'utf8') !== content;
    })
    .map(([path]) => path);
}

/** Files in a folder synth owns that it no longer renders (a stack that was removed, say). */
export function leftoverFiles(outputs: Record<string, string>, root = ROOT, dirs: readonly string[] = RENDERED_DIRS): string[] {
  return dirs.flatMap((dir) =>
    existsSync(join(root, dir))
      ? readdirSync(join(root, dir))
          // The CDK CLI holds a read lock file there while it reads the assembly; deploy:aws stages
          // the Lambda bundle there as asset.<hash>/ (git-ignored, built from the code).
          .filter((f) => !f.endsWith('.lock') && !f.startsWith('asset.'))
          .map((f) => `${dir}/${f}`)
          .filter((p) => !(p in outputs))
      : [],
  );
}

export function synth(args: string[], log: (line: string) => void = console.log): number {
  if (args.includes('--help') || args.includes('-h')) {
    log(HELP);
    return 0;
  }
  const unknown = args.filter((a) => a !== '--check');
  if (unknown.length) {
    log(`synth: unknown option ${unknown.join(' ')}; see --help`);
    return 2;
  }
  let outputs: Record<string, string>;
  try {
    outputs = renderAll(spillway);
  } catch (err) {
    if (err instanceof DefinitionError || err instanceof RenderError) {
      log(`synth: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const stale = staleOutputs(outputs);
  const leftover = leftoverFiles(outputs, ROOT, renderedDirs(spillway));
  if (args.includes('--check')) {
    if (leftover.length) {
      log(`synth --check: not rendered any more (run \`npm run synth\` and commit): ${leftover.join(', ')}`);
      return 1;
    }
    if (!stale.length) {
      log(`synth --check: ${Object.keys(outputs).length} outputs up to date`);
      return 0;
    }
    log(`synth --check: stale (run \`npm run synth\` and commit): ${stale.join(', ')}`);
    return 1;
  }
  for (const path of leftover) {
    rmSync(join(ROOT, path));
    log(`removed   ${path}`);
  }
  for (const path of stale) {
    mkdirSync(dirname(join(ROOT, path)), { recursive: true });
    writeFileSync(join(ROOT, path), outputs[path]);
  }
  for (const path of Object.keys(outputs)) log(`${stale.includes(path) ? 'wrote    ' : 'unchanged'} ${path}`);
  return 0;
}

if (require.main === module) process.exitCode = synth(process.argv.slice(2));
