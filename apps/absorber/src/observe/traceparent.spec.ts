import { traceparentOf } from './traceparent';

const GOOD = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('traceparentOf', () => {
  it('keeps a valid version-00 header as received', () => {
    expect(traceparentOf(GOOD)).toBe(GOOD);
    expect(traceparentOf(` ${GOOD} `)).toBe(GOOD);
  });

  it('keeps the shared fields of a later version and drops what it appends', () => {
    expect(traceparentOf('cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09-extra')).toBe('cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-09');
  });

  it.each([
    ['missing', undefined],
    ['two headers', [GOOD, GOOD]],
    ['upper case', GOOD.toUpperCase()],
    ['all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['all-zero parent id', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01'],
    ['version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['version 00 with a tail', `${GOOD}-x`],
    ['short trace id', '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01'],
    ['garbage', 'hello'],
  ])('ignores %s', (_name, header) => {
    expect(traceparentOf(header as string | string[] | undefined)).toBeUndefined();
  });
});
