// `npm run release -- --target hetzner|eks --image <ref@sha256:...> [--dry-run]` and
// `npm run release -- --target eks --shift`: ship one pinned image to a target (docs/release.md).
import { spawnRunner } from '../command-runner';
import { composeDefinition, eksDefinition } from '../model/targets';
import { spillway } from '../spillway';
import { parseArgs, targetOf, UsageError } from './args';
import { EksRelease } from './eks-release';
import { releaseHetzner, ReleaseIo, sleepSync } from './hetzner-release';
import { ImageRefError, pinnedImage } from './image-ref';

const HELP = `Usage: npm run release -- --target hetzner --image <registry>/<repo>@sha256:<digest> [--dry-run]
       npm run release -- --target eks --image <registry>/<repo>@sha256:<digest> [--dry-run]
       npm run release -- --target eks --shift [--dry-run]

Ships one image, named by its digest (npm run image:push prints it; a tag is refused).

  --target hetzner  against DOCKER_HOST (ssh://${composeDefinition(spillway).target.sshUser}@${composeDefinition(spillway).target.host} for the box, else the local
                    engine): docker pull, then SPILLWAY_IMAGE=<image> docker compose up -d --no-build
                    for the migration step and the app services, then waits until each is healthy
                    on that image (--health-timeout seconds, default 180) and appends the release
                    to the history (${spillway.release.hetznerReleaseLog} on the box; SPILLWAY_RELEASE_LOG overrides).
                    COMPOSE_FILE / COMPOSE_PROJECT_NAME choose another compose file or project.
  --target eks      applies the manifests with the image to the absorber slot that takes no
                    traffic (the workers and the migration Job take it too), waits for the Job and
                    the rollout, and smoke-tests the slot's Service; the traffic stays where it is.
  --shift           (eks) all the ALB weight to the other slot; recorded in the ${eksDefinition(spillway).target.namespace}/spillway-releases ConfigMap
  --dry-run         print what would run; change nothing
  --help            this text
Back to the previous release: npm run rollback -- --target eks|hetzner`;

export function release(args: string[], io: ReleaseIo): number {
  if (args.includes('--help') || args.includes('-h')) {
    io.log(HELP);
    return 0;
  }
  try {
    const o = parseArgs('release', args, ['--target', '--image', '--health-timeout'], ['--dry-run', '--shift']);
    const target = targetOf('release', o.target);
    const dryRun = o['dry-run'] === true;
    if (o.shift) {
      if (target !== 'eks') throw new UsageError('release: --shift is for --target eks (Hetzner has one slot)');
      if (o.image) throw new UsageError('release: --shift moves the traffic to the slot already deployed; leave out --image');
      new EksRelease(eksDefinition(spillway), io, dryRun).shift();
      return 0;
    }
    const image = pinnedImage(typeof o.image === 'string' ? o.image : undefined);
    if (target === 'eks') {
      new EksRelease(eksDefinition(spillway), io, dryRun).deploy(image);
      return 0;
    }
    const timeout = Number(o['health-timeout'] ?? 180);
    if (!(timeout > 0)) throw new UsageError(`release: --health-timeout ${o['health-timeout']}: seconds, > 0`);
    return releaseHetzner(spillway, { image, how: 'deploy', dryRun, healthTimeoutMs: timeout * 1000 }, io);
  } catch (err) {
    if (err instanceof UsageError || err instanceof ImageRefError) {
      io.log(err.message);
      return 2;
    }
    io.log(`release: ${(err as Error).message}`);
    return 1;
  }
}

export const processIo = (): ReleaseIo => ({ run: spawnRunner, log: console.log, env: process.env, now: () => new Date(), sleep: sleepSync });

if (require.main === module) process.exitCode = release(process.argv.slice(2), processIo());
