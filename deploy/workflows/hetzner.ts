// `deploy-hetzner.yml`: the pinned image to the box over SSH (DOCKER_HOST=ssh://...), through the
// release command's health gate. Called by release.yml with the digest it pushed, or run by hand
// with a digest. The box pulls from ECR with the runner's login (the Docker client sends it).
import { secretFile, secretsByService } from '../hetzner/secret-files';
import { ComposeDefinition, EksDefinition } from '../model/definition';
import { awsLogin, checkout, Obj, OIDC_PERMISSIONS, RUNNER, setupNode } from './steps';

/** The environment secret holding one service's env file, e.g. HETZNER_ENV_ABSORBER. */
export const envFileSecret = (service: string) => `HETZNER_ENV_${service.toUpperCase().replace(/-/g, '_')}`;

/** `eks`: the EKS target whose account holds the registry and the CI role the deploy job assumes. */
export function hetznerWorkflow(def: ComposeDefinition, eks: EksDefinition): Obj {
  const het = def.target;
  const image = { description: 'the image by digest: <registry>/<repo>@sha256:<digest> (npm run image:push prints it)', required: true, type: 'string' };
  const services = Object.keys(secretsByService(def)).sort();
  return {
    name: 'deploy-hetzner',
    on: { workflow_call: { inputs: { image } }, workflow_dispatch: { inputs: { image } } },
    permissions: OIDC_PERMISSIONS,
    concurrency: { group: 'deploy-hetzner', 'cancel-in-progress': false },
    jobs: {
      deploy: {
        'runs-on': RUNNER,
        environment: def.release.environments.hetzner,
        'timeout-minutes': 20,
        env: { DOCKER_HOST: `ssh://${het.sshUser}@${het.host}`, IMAGE: '${{ inputs.image }}' },
        steps: [
          checkout(),
          ...setupNode(def),
          ...awsLogin(eks, 'hetzner'),
          {
            name: "SSH key and the box's host key",
            env: { SSH_KEY: '${{ secrets.HETZNER_SSH_KEY }}', KNOWN_HOSTS: '${{ secrets.HETZNER_KNOWN_HOSTS }}' },
            run: ['install -m 700 -d ~/.ssh', 'printf \'%s\\n\' "$SSH_KEY" > ~/.ssh/id_ed25519', 'chmod 600 ~/.ssh/id_ed25519', 'printf \'%s\\n\' "$KNOWN_HOSTS" > ~/.ssh/known_hosts'].join('\n'),
          },
          {
            // compose reads env files on the client: each service's file from its environment secret.
            name: "Each service's secret env file",
            env: Object.fromEntries(services.map((s) => [envFileSecret(s), `\${{ secrets.${envFileSecret(s)} }}`])),
            run: ['umask 077', ...services.map((s) => `printf '%s\\n' "$${envFileSecret(s)}" > ${secretFile(def, s)}`)].join('\n'),
          },
          { name: 'Deploy the pinned image, health gate, history on the box', run: 'npm run release -- --target hetzner --image "$IMAGE"' },
        ],
      },
    },
  };
}
