// `npm run image:promote -- --registry <ECR host> --tag <git tag>`: a tag build releases the image
// the branch already built and pushed for the same commit. It finds `<version>-<commit>` in ECR,
// adds the git tag to that very manifest (put-image with the digest: no build, no push), and prints
// the pinned ref. The repository's tags are immutable, so pushing `<version>-<commit>` again is
// refused, and a rebuild would be other bytes than those scanned and deployed from the branch.
import { spawnRunner } from '../command-runner';
import { eksDefinition } from '../model/targets';
import { spillway } from '../spillway';
import { parseArgs, UsageError } from './args';
import { ImageIo, imageTag } from './image';

const HELP = `Usage: npm run image:promote -- --registry <account>.dkr.ecr.<region>.amazonaws.com --tag <git tag>

Finds the image the ${spillway.release.branch} branch pushed for this commit (${eksDefinition(spillway).target.aws.registry.repository}:<version>-<commit>, as npm run image
tags it), adds --tag to that manifest in ECR, and prints its pinned ref
<registry>/${eksDefinition(spillway).target.aws.registry.repository}@sha256:<digest> alone on stdout. Needs the AWS CLI and ecr:BatchGetImage,
ecr:PutImage on the repository. Running it again with the same tag is fine.
  --help    this text`;

const ECR_HOST = /^(?<account>\d{12})\.dkr\.ecr\.(?<region>[a-z0-9-]+)\.amazonaws\.com$/;

interface BatchGetImage {
  images: Array<{ imageId: { imageDigest: string }; imageManifest: string; imageManifestMediaType?: string }>;
  failures?: Array<{ failureCode: string; failureReason: string }>;
}

export function promote(args: string[], io: ImageIo): number {
  if (args.includes('--help') || args.includes('-h')) {
    io.log(HELP);
    return 0;
  }
  try {
    const o = parseArgs('image:promote', args, ['--registry', '--tag'], []);
    if (typeof o.registry !== 'string') throw new UsageError('image:promote: --registry <account>.dkr.ecr.<region>.amazonaws.com is required');
    const registry = o.registry.replace(/\/+$/, '');
    const host = ECR_HOST.exec(registry)?.groups;
    if (!host) throw new UsageError(`image:promote: --registry ${o.registry}: an ECR registry, <account>.dkr.ecr.<region>.amazonaws.com`);
    if (typeof o.tag !== 'string') throw new UsageError('image:promote: --tag <name> is required (the git tag, e.g. v1.2.0)');
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(o.tag)) throw new UsageError(`image:promote: --tag ${o.tag}: letters, digits, _ . - (a Docker tag)`);
    const repo = eksDefinition(spillway).target.aws.registry.repository;
    const built = imageTag(io);
    const where = ['--region', host.region, '--registry-id', host.account, '--repository-name', repo];

    const get = io.run('aws', ['ecr', 'batch-get-image', ...where, '--image-ids', `imageTag=${built}`, '--output', 'json']);
    if (get.error) throw new Error('aws not found; install the AWS CLI');
    if (get.status !== 0) throw new Error(`aws ecr batch-get-image failed: ${get.stderr.trim()}`);
    const found = JSON.parse(get.stdout) as BatchGetImage;
    const image = found.images[0];
    if (!image) {
      const why = found.failures?.[0]?.failureCode ?? 'not found';
      throw new Error(`${registry}/${repo} has no image ${built} (${why}): a tag releases a commit the ${spillway.release.branch} branch built and pushed; push the branch first`);
    }
    const digest = image.imageId.imageDigest;
    const put = io.run('aws', [
      'ecr', 'put-image', ...where,
      '--image-tag', o.tag,
      '--image-digest', digest,
      '--image-manifest', image.imageManifest,
      ...(image.imageManifestMediaType ? ['--image-manifest-media-type', image.imageManifestMediaType] : []),
      '--output', 'json',
    ]);
    // ImageAlreadyExists: this tag already names this digest (the job ran before).
    if (put.status !== 0 && !put.stderr.includes('ImageAlreadyExistsException')) {
      if (put.stderr.includes('ImageTagAlreadyExistsException')) throw new Error(`tag ${o.tag} already names another image in ${repo} (the repository's tags are immutable); release a new tag`);
      throw new Error(`aws ecr put-image failed: ${put.stderr.trim()}`);
    }
    io.log(`image:promote: ${repo}:${o.tag} is ${repo}:${built} (${digest})`);
    io.out(`${registry}/${repo}@${digest}`);
    return 0;
  } catch (err) {
    io.log(err instanceof UsageError ? err.message : `image:promote: ${(err as Error).message}`);
    return err instanceof UsageError ? 2 : 1;
  }
}

if (require.main === module) {
  process.exitCode = promote(process.argv.slice(2), { run: spawnRunner, log: (l) => console.error(l), out: (l) => console.log(l), env: process.env });
}
