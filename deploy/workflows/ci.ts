// `ci.yml`: on pull requests and pushes, what .ci/run does: npm ci, the synth check, the README's
// test command against Postgres and Redis service containers, then the compose e2e.
import { SpillwayDefinition } from '../model/definition';
import { composeDefinition } from '../model/targets';
import { checkout, Obj, RUNNER, setupNode } from './steps';

const health = (cmd: string) => `--health-cmd "${cmd}" --health-interval 5s --health-timeout 5s --health-retries 20`;

export function ciWorkflow(def: SpillwayDefinition): Obj {
  const { postgres } = def.dependencies;
  const redis = composeDefinition(def).target.broker.redis;
  return {
    name: 'ci',
    on: { pull_request: {}, push: { branches: [def.release.branch] } },
    permissions: { contents: 'read' },
    concurrency: { group: 'ci-${{ github.ref }}', 'cancel-in-progress': true },
    jobs: {
      test: {
        'runs-on': RUNNER,
        'timeout-minutes': 45,
        // Debian, like the machines .ci/run knows: nginx, promtool and chromium from its packages.
        container: `node:${def.release.nodeVersion}-bookworm`,
        services: {
          postgres: { image: postgres.image, env: { POSTGRES_HOST_AUTH_METHOD: 'trust', POSTGRES_DB: 'test' }, options: health('pg_isready -U postgres') },
          redis: { image: redis.image, options: health('redis-cli ping') },
        },
        env: { DATABASE_URL: 'postgres://postgres@postgres:5432/test', REDIS_URL: 'redis://redis:6379/0', CI: 'true' },
        steps: [
          checkout(),
          {
            name: 'Debian packages the tests use',
            run: 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light prometheus chromium postgresql-client redis-tools',
          },
          // Debian 12 has Prometheus 2.42 only: promtool of the box's major and the exporters at the box's versions from trixie/sid.
          { name: "promtool of the box's Prometheus major, the box's exporters", run: 'scripts/monitoring-bins.sh' },
          ...setupNode(def),
          { name: 'Rendered files match the definition', run: 'npm run synth -- --check' },
          { name: 'Unit and integration tests (README)', run: 'npm test' },
        ],
      },
      e2e: {
        'runs-on': RUNNER,
        'timeout-minutes': 30,
        needs: 'test',
        steps: [
          checkout(),
          ...setupNode(def),
          { name: 'docker-compose 1.29 and the registry the release e2e pushes to', run: 'sudo apt-get update -qq && sudo apt-get install -y -qq --no-install-recommends docker-registry docker-compose' },
          { name: 'Compose e2e (test/e2e)', run: 'npm run test:e2e' },
        ],
      },
    },
  };
}
