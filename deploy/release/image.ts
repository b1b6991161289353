// `npm run image` builds the one image both targets run, once, tagged <version> and
// <version>-<commit>; `npm run image:push -- --registry <host>[/path]` pushes that build and prints
// its pinned ref (<registry>/<repo>@sha256:...), the only name deploys accept.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Runner, spawnRunner } from '../command-runner';
import { ROOT } from '../outputs';
import { eksDefinition } from '../model/targets';
import { spillway } from '../spillway';
import { parseArgs, UsageError } from './args';

const HELP = `Usage: npm run image [-- --dry-run]
       npm run image:push -- --registry <host[:port]>[/path] [--dry-run]

image       docker build --target runtime of the Dockerfile, tagged
            ${eksDefinition(spillway).target.aws.registry.repository}:<version> and ${eksDefinition(spillway).target.aws.registry.repository}:<version>-<commit> (package.json version, git HEAD;
            GITHUB_SHA in CI). A dirty work tree is refused: the tag would lie.
image:push  tags that build <registry>/${eksDefinition(spillway).target.aws.registry.repository}:<version>-<commit>, pushes it, and prints the
            pinned ref <registry>/${eksDefinition(spillway).target.aws.registry.repository}@sha256:<digest> alone on stdout (logs go to stderr),
            e.g. IMAGE=$(npm run -s image:push -- --registry 123456789012.dkr.ecr.eu-central-1.amazonaws.com)
  --dry-run print the docker commands; run nothing
  --help    this text`;

export interface ImageIo {
  run: Runner;
  /** Progress and errors (stderr): stdout carries only the pinned ref. */
  log: (line: string) => void;
  out: (line: string) => void;
  env: NodeJS.ProcessEnv;
}

/** `<version>-<12 hex of the commit>`; refuses uncommitted changes unless SPILLWAY_IMAGE_ALLOW_DIRTY=1 (tests). */
export function imageTag(io: ImageIo): string {
  const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  let commit = io.env.GITHUB_SHA;
  if (!commit) {
    const head = io.run('git', ['-C', ROOT, 'rev-parse', 'HEAD']);
    if (head.status !== 0) throw new UsageError('image: not a git checkout and GITHUB_SHA is unset: no commit to tag the image with');
    commit = head.stdout.trim();
    const dirty = io.run('git', ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no']).stdout.trim();
    if (dirty && io.env.SPILLWAY_IMAGE_ALLOW_DIRTY !== '1') throw new UsageError('image: the work tree has uncommitted changes; commit them first (the tag names a commit)');
  }
  return `${version}-${commit.slice(0, 12)}`;
}

/** The digest `docker push` reports for the tag it pushed. */
export function pushedDigest(output: string): string | undefined {
  return /digest: (sha256:[0-9a-f]{64})/.exec(output)?.[1];
}

export function image(command: 'image' | 'image:push', args: string[], io: ImageIo): number {
  if (args.includes('--help') || args.includes('-h')) {
    io.log(HELP);
    return 0;
  }
  try {
    const o = parseArgs(command, args, command === 'image:push' ? ['--registry'] : [], ['--dry-run']);
    const repo = eksDefinition(spillway).target.aws.registry.repository;
    const tag = imageTag(io);
    const version = tag.slice(0, tag.lastIndexOf('-'));
    const steps: string[][] = [];
    if (command === 'image') {
      steps.push(['docker', 'build', '--target', 'runtime', '-t', `${repo}:${version}`, '-t', `${repo}:${tag}`, ROOT]);
    } else {
      if (typeof o.registry !== 'string') throw new UsageError('image:push: --registry <host[:port]>[/path] is required (ECR: <account>.dkr.ecr.<region>.amazonaws.com)');
      const registry = o.registry.replace(/\/+$/, '');
      if (!/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)*$/.test(registry)) throw new UsageError(`image:push: --registry ${o.registry}: a registry host[:port][/path], lower case`);
      const remote = `${registry}/${repo}:${tag}`;
      steps.push(['docker', 'tag', `${repo}:${tag}`, remote], ['docker', 'push', remote]);
    }
    if (o['dry-run']) {
      steps.forEach((s) => io.log(`${command} --dry-run: ${s.join(' ')}`));
      return 0;
    }
    let pushed = '';
    for (const [cmd, ...rest] of steps) {
      io.log(`${command}: ${cmd} ${rest.join(' ')}`);
      // The push's output is read for the digest; the build streams to the terminal.
      const r = io.run(cmd, rest, { inherit: rest[0] === 'build' });
      if (r.error) throw new Error('docker not found; install Docker (or start it) and run again');
      if (r.status !== 0) {
        const hint = rest[0] === 'tag' ? ` (is there a build? run npm run image first)` : rest[0] === 'push' ? ' (logged in to the registry? docker login / aws ecr get-login-password)' : '';
        throw new Error(`${cmd} ${rest.join(' ')} failed${hint}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ')}`);
      }
      if (rest[0] === 'push') pushed = r.stdout + r.stderr;
    }
    if (command === 'image') {
      io.log(`image: built ${repo}:${version} and ${repo}:${tag}`);
      return 0;
    }
    const digest = pushedDigest(pushed);
    if (!digest) throw new Error(`docker push printed no digest:\n${pushed.slice(-500)}`);
    io.out(`${(o.registry as string).replace(/\/+$/, '')}/${repo}@${digest}`);
    return 0;
  } catch (err) {
    io.log(err instanceof UsageError ? err.message : `${command}: ${(err as Error).message}`);
    return err instanceof UsageError ? 2 : 1;
  }
}

if (require.main === module) {
  const command = process.argv[2] === 'push' ? 'image:push' : 'image';
  const args = process.argv.slice(command === 'image:push' ? 3 : 2);
  process.exitCode = image(command, args, { run: spawnRunner, log: (l) => console.error(l), out: (l) => console.log(l), env: process.env });
}
