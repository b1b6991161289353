// The release history: one line per deploy or rollback, newest last, `<time>\t<how>\t<image>[\t<slot>]`.
// A rollback reads it to find the release before the current one; it is written only after the
// new release passed its health gate, so the last line is what serves.
/** The EKS release history: a ConfigMap of this name in the app's namespace. */
export const HISTORY_CONFIGMAP = 'spillway-releases';

export interface Release {
  at: string;
  how: 'deploy' | 'rollback' | 'shift';
  image: string;
  /** EKS only: the absorber slot that took the traffic. */
  slot?: 'blue' | 'green';
}

export const formatRelease = (r: Release): string => [r.at, r.how, r.image, ...(r.slot ? [r.slot] : [])].join('\t');

export function parseHistory(text: string): Release[] {
  return text
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'))
    .map((l) => {
      const [at, how, image, slot] = l.split('\t');
      return { at, how: how as Release['how'], image, ...(slot ? { slot: slot as Release['slot'] } : {}) };
    });
}

const same = (a: Release, b: Release) => a.image === b.image && a.slot === b.slot;

/**
 * What a rollback goes back to: the newest release before the current one that differs from it.
 * After a rollback from B to A the history ends A, B, A, so a second rollback returns to B (like
 * `kubectl rollout undo`).
 */
export function previousRelease(history: Release[]): { current: Release; previous: Release } | undefined {
  const current = history.at(-1);
  if (!current) return undefined;
  const previous = [...history].reverse().find((r) => !same(r, current));
  return previous ? { current, previous } : undefined;
}
