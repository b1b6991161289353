// `npm run rollback -- --target eks|hetzner [--dry-run]`: back to the release before the current one,
// in one command. Hetzner: the previous digest from the box's history, through the same health gate
// as a release. EKS: all the weight back to the previous slot (its Deployment still runs that image).
import { eksDefinition } from '../model/targets';
import { spillway } from '../spillway';
import { parseArgs, targetOf, UsageError } from './args';
import { EksRelease } from './eks-release';
import { HetznerHistory, releaseHetzner, ReleaseIo } from './hetzner-release';
import { previousRelease } from './history';
import { processIo } from './release';

const HELP = `Usage: npm run rollback -- --target hetzner|eks [--dry-run] [--health-timeout <seconds>]

Returns the target to the release before the current one (the newest earlier line of its history
whose image differs; rolling back twice returns to where you started, like kubectl rollout undo).
  --target hetzner  reads the history (${spillway.release.hetznerReleaseLog} on the box behind DOCKER_HOST, or
                    SPILLWAY_RELEASE_LOG), then deploys that digest as npm run release would:
                    pull (usually already on the box), compose up, health gate, history line
  --target eks      moves all the ALB weight back to the previous slot, after checking that slot
                    still runs the previous image; history in the spillway-releases ConfigMap
  --dry-run         print the release it would return to and the commands; change nothing
  --help            this text`;

export function rollback(args: string[], io: ReleaseIo): number {
  if (args.includes('--help') || args.includes('-h')) {
    io.log(HELP);
    return 0;
  }
  try {
    const o = parseArgs('rollback', args, ['--target', '--health-timeout'], ['--dry-run']);
    const target = targetOf('rollback', o.target);
    const dryRun = o['dry-run'] === true;
    if (target === 'eks') {
      new EksRelease(eksDefinition(spillway), io, dryRun).rollback();
      return 0;
    }
    const history = new HetznerHistory(spillway, io);
    const pair = previousRelease(history.read());
    if (!pair) {
      io.log(`rollback: the release history ${history.where} has no earlier release to return to`);
      return 1;
    }
    io.log(`rollback --target hetzner: from ${pair.current.image} (${pair.current.how} ${pair.current.at}) to ${pair.previous.image} (${pair.previous.how} ${pair.previous.at})`);
    const timeout = Number(o['health-timeout'] ?? 180);
    return releaseHetzner(spillway, { image: pair.previous.image, how: 'rollback', dryRun, healthTimeoutMs: timeout * 1000 }, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.log(err.message);
      return 2;
    }
    io.log(`rollback: ${(err as Error).message}`);
    return 1;
  }
}

if (require.main === module) process.exitCode = rollback(process.argv.slice(2), processIo());
