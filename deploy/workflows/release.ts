// `release.yml`: on the release branch or a `v*` tag: build the image once, push it to ECR, wait
// for ECR's scan and stop on critical findings, deploy that digest to the idle EKS slot and
// smoke-test it, then (after a reviewer approves the `production` environment) shift the
// weights. The same digest goes to the Hetzner box (deploy-hetzner.yml).
import { SpillwayDefinition } from '../model/definition';
import { awsLogin, checkout, Obj, OIDC_PERMISSIONS, registryHost, RUNNER, setupNode } from './steps';

const IMAGE = '${{ needs.image.outputs.image }}';

export function releaseWorkflow(def: SpillwayDefinition): Obj {
  const env = def.release.environments;
  const eks = def.targets.eks;
  const repo = def.aws.registry.repository;
  const kubeconfig = { name: 'kubectl for the cluster', run: `aws eks update-kubeconfig --name ${eks.cluster} --region ${eks.region}` };
  return {
    name: 'release',
    on: { push: { branches: [def.release.branch], tags: ['v*'] } },
    permissions: OIDC_PERMISSIONS,
    // One release at a time, none cancelled halfway through a deploy.
    concurrency: { group: 'release', 'cancel-in-progress': false },
    jobs: {
      image: {
        'runs-on': RUNNER,
        environment: env.release,
        'timeout-minutes': 30,
        outputs: { image: '${{ steps.push.outputs.image }}' },
        steps: [
          checkout(),
          ...setupNode(def),
          ...awsLogin(def),
          { name: 'Build (npm run image)', run: 'npm run image' },
          { name: 'Push, pinned by digest', id: 'push', run: `image="$(npm run -s image:push -- --registry ${registryHost(def)})"\necho "image=$image" >> "$GITHUB_OUTPUT"` },
          {
            name: "Scan (ECR's scan on push): stop on critical findings",
            env: { IMAGE: '${{ steps.push.outputs.image }}' },
            run: [
              'digest="${IMAGE#*@}"',
              `aws ecr wait image-scan-complete --repository-name ${repo} --image-id imageDigest="$digest"`,
              `critical="$(aws ecr describe-image-scan-findings --repository-name ${repo} --image-id imageDigest="$digest" --query 'imageScanFindings.findingSeverityCounts.CRITICAL' --output text)"`,
              'if [ "$critical" != "None" ] && [ "$critical" != "0" ]; then echo "::error::$critical critical findings in $IMAGE"; exit 1; fi',
              'echo "$IMAGE: no critical findings"',
            ].join('\n'),
          },
        ],
      },
      'deploy-eks': {
        'runs-on': RUNNER,
        needs: 'image',
        environment: env.release,
        'timeout-minutes': 30,
        steps: [checkout(), ...setupNode(def), ...awsLogin(def, false), kubeconfig, { name: 'Deploy to the idle slot and smoke-test it', env: { IMAGE }, run: 'npm run release -- --target eks --image "$IMAGE"' }],
      },
      shift: {
        'runs-on': RUNNER,
        needs: ['image', 'deploy-eks'],
        // Required reviewers on this environment are the manual approval.
        environment: env.production,
        'timeout-minutes': 15,
        steps: [checkout(), ...setupNode(def), ...awsLogin(def, false), kubeconfig, { name: 'All traffic to the new slot', run: 'npm run release -- --target eks --shift' }],
      },
      hetzner: {
        needs: 'image',
        permissions: OIDC_PERMISSIONS,
        uses: './.github/workflows/deploy-hetzner.yml',
        with: { image: IMAGE },
        secrets: 'inherit',
      },
    },
  };
}
