// A deploy names its image by digest: `<registry>/<repository>@sha256:<64 hex>`. A tag can be moved
// to another build after the fact; a digest is the build, so both targets (and a rollback) run
// exactly the bytes that were scanned.
import { ComposeDefinition, SpillwayDefinition } from '../model/definition';

/** The variable the rendered docker-compose.yml reads its app image from (`${SPILLWAY_IMAGE:-...}`). */
export const IMAGE_VARIABLE = 'SPILLWAY_IMAGE';

const PINNED = /^(?<repository>[a-z0-9.-]+(?::\d+)?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)+)@sha256:[0-9a-f]{64}$/;

export class ImageRefError extends Error {}

/** The ref itself when it is pinned by digest and names a registry; otherwise one line saying what is wrong. */
export function pinnedImage(ref: string | undefined, option = '--image'): string {
  if (!ref) throw new ImageRefError(`${option} is required: the image by digest, e.g. 123456789012.dkr.ecr.eu-central-1.amazonaws.com/spillway@sha256:<64 hex> (npm run image:push prints it)`);
  if (/^[^@]+:[\w.-]+$/.test(ref) && !ref.includes('@')) {
    throw new ImageRefError(`${option} ${ref}: a tag can move; give the digest npm run image:push printed (<registry>/<repository>@sha256:<64 hex>)`);
  }
  if (!PINNED.test(ref)) throw new ImageRefError(`${option} ${ref}: not <registry>/<repository>@sha256:<64 hex>`);
  return ref;
}

/** The repository part of a pinned ref (everything before `@sha256:`). */
export const repositoryOf = (ref: string): string => ref.slice(0, ref.indexOf('@'));

/** The definition with every app image (absorber, workers, migrations, every target) set to `ref`. */
export function withImage(def: SpillwayDefinition, ref: string): SpillwayDefinition {
  const next = structuredClone(def);
  for (const t of Object.values(next.targets)) t.image = t.kind === 'eks' ? pinnedImage(ref) : ref;
  return next;
}

/** What the compose file names as the app image: the pinned ref from the environment, else the local build. */
export const composeImage = (def: ComposeDefinition): string => `\${${IMAGE_VARIABLE}:-${def.target.image}}`;
