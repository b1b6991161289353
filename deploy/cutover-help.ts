// The text `npm run cutover -- --help` prints, and prints after a flag it cannot read.
import { spillway } from './spillway';

/** The targets taking traffic (dns.records): the names --to and --from accept. */
export const CUTOVER_NAMES = Object.keys(spillway.dns.records);

export const CUTOVER_HELP = `Usage: npm run cutover -- --to <target> [--from <target>] [options]

Targets taking traffic (dns.records in deploy/spillway.ts): ${CUTOVER_NAMES.join(', ')}.
Shifts the public host's traffic from one target to another in steps (Route 53 weighted records,
one per target, changed through the Route 53 API; the first step turns the box's simple record into
the pair <box> 100 / <eks> 0 in one atomic batch; each step is also written to deploy/traffic.json),
then drains the old side: it is empty once its absorber takes no traffic and its queues read empty, both
without a break for the drain window; what is left after --drain-timeout is moved with
queue:move. Then it scales the old workers down. Re-running continues from the current weights.

  --to NAME              the target that gets the traffic
  --from NAME            the target that loses it (default: the other one, when two take traffic)
  --steps 10,50,100      the destination's weight at each step (rising, ending at 100)
  --hold S               seconds to watch both sides' readiness after each step (60)
  --apply CMD            publish each step with this command instead of the Route 53 API;
                         gets SPILLWAY_WEIGHT_<NAME> of every target in its environment (the only
                         way between two targets of one kind: the API path pairs a box and an ALB)
  --end-simple           at the end, replace the weighted pair by one simple record for the destination
  --box-address IP       the box's IPv4, needed only when the name is a simple alias to the ALB
  --alb-zone-id ID       the ALB's canonical hosted zone (default: by the EKS region)
  --box-tls HOST:PORT    where preflight reads the box's TLS certificate (default: the compose side's dns.records entry:443);
                         it refuses when that certificate expires within 30 days
  --scale-down CMD       run at the end to stop the old side's workers (default: print what to do)
  --<name>-url URL       that target's absorber base URL, for readiness (or CUTOVER_<NAME>_URL),
                         e.g. --hetzner-url, --eks-url
  --drain-timeout S      how long to wait for the old queues to empty before moving the rest (300)
  --drain-window S       how long the old absorber must take no traffic and its queues read empty,
                         without a break (default: the definition's dns.ttl + 60 s of SQS metrics lag)
  --drain-give-up S      stop (nothing scaled down) when no such window came within this long (3600)
  --<name>-metrics-url URL
                         where that absorber's counters are read (default: <its url>/metrics)
  --root DIR             where deploy/traffic.json and deploy/aws/rendered/ live (the repository)
  --dry-run              run the preflight and print the whole plan (steps, holds, drain, scale-down); change nothing

Each side's queues are reached with the driver of its broker (targets.<name>.broker.kind: ${CUTOVER_NAMES.map((n) => `${n} ${spillway.targets[n].broker.kind}`).join(', ')})
and the apps' environment: REDIS_URL (bullmq), AWS_REGION / SQS_ENDPOINT (sqs), QUEUE_PREFIX (a target
with its own queuePrefix uses that; CUTOVER_<NAME>_QUEUE_PREFIX overrides; CUTOVER_<NAME>_REDIS_URL gives a
side on BullMQ its own Redis, e.g. an EKS target on ElastiCache), ROUTE53_ENDPOINT (a Route 53
stand-in, tests only), DATABASE_URL (the one Postgres both use).
CUTOVER_<NAME>_DATABASE_URL (default DATABASE_URL): each side's database, e.g. CUTOVER_HETZNER_DATABASE_URL;
traffic moves only when they are one database, or a db:move replication between them has lag 0.

Where to run it: on the box, over the move path (docs/move-path.md): the box's Redis at its tunnel
address (REDIS_URL=redis://<movePath.boxTunnelAddress>:6379), SQS over the Internet, RDS through the
tunnel; the EKS absorber's metrics through kubectl port-forward.`;
