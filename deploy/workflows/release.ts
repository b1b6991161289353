// `release.yml`: on the release branch, build the image once, push it to ECR, wait for ECR's scan
// and stop on critical findings; on a `v*` tag, promote the digest the branch already pushed for
// that commit (the repository's tags are immutable: `<version>-<sha>` cannot be pushed twice).
// Then deploy that digest to the idle EKS slot and smoke-test it, and (after a reviewer approves
// the `production` environment) shift the weights. The same digest goes to the Hetzner box
// (deploy-hetzner.yml). The two jobs that call the cluster run on CodeBuild runners in the VPC.
import { runnerProjectName, vpcRunnerLabel } from '../aws/ci';
import { EksDefinition } from '../model/definition';
import { awsLogin, checkout, installKubectl, Obj, OIDC_PERMISSIONS, registryHost, RUNNER, setupNode } from './steps';

const IMAGE = '${{ needs.image.outputs.image }}';
/** Whichever of the two steps ran: the push (branch) or the promotion (tag). */
const IMAGE_BUILT = '${{ steps.push.outputs.image || steps.promote.outputs.image }}';

export function releaseWorkflow(def: EksDefinition): Obj {
  const env = def.release.environments;
  const eks = def.target;
  const repo = def.target.aws.registry.repository;
  const kubeconfig = { name: 'kubectl for the cluster', run: `aws eks update-kubeconfig --name ${eks.cluster} --region ${eks.region}` };
  const inVpc = vpcRunnerLabel(runnerProjectName(def));
  const branchOnly = "github.ref_type != 'tag'";
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
        outputs: { image: IMAGE_BUILT },
        steps: [
          checkout(),
          ...setupNode(def),
          ...awsLogin(def, 'image'),
          { name: 'Build (npm run image)', if: branchOnly, run: 'npm run image' },
          { name: 'Push, pinned by digest', if: branchOnly, id: 'push', run: `image="$(npm run -s image:push -- --registry ${registryHost(def)})"\necho "image=$image" >> "$GITHUB_OUTPUT"` },
          {
            name: 'Tag: promote the digest pushed for this commit',
            if: "github.ref_type == 'tag'",
            id: 'promote',
            run: `image="$(npm run -s image:promote -- --registry ${registryHost(def)} --tag "$GITHUB_REF_NAME")"\necho "image=$image" >> "$GITHUB_OUTPUT"`,
          },
          {
            name: "Scan (ECR's scan on push): stop on critical findings",
            env: { IMAGE: IMAGE_BUILT },
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
        'runs-on': inVpc,
        needs: 'image',
        environment: env.release,
        'timeout-minutes': 30,
        steps: [checkout(), ...setupNode(def), ...awsLogin(def, 'deploy'), installKubectl(def), kubeconfig, { name: 'Deploy to the idle slot and smoke-test it', env: { IMAGE }, run: 'npm run release -- --target eks --image "$IMAGE"' }],
      },
      shift: {
        'runs-on': inVpc,
        needs: ['image', 'deploy-eks'],
        // Required reviewers on this environment are the manual approval.
        environment: env.production,
        'timeout-minutes': 15,
        steps: [checkout(), ...setupNode(def), ...awsLogin(def, 'shift'), installKubectl(def), kubeconfig, { name: 'All traffic to the new slot', run: 'npm run release -- --target eks --shift' }],
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
