/**
 * W3C Trace Context `traceparent` (https://www.w3.org/TR/trace-context/#traceparent-header):
 * `version-traceid-parentid-flags`, lower-case hex. A header that does not parse is ignored, as
 * the spec asks of a receiver, never refused: tracing must not cost an event.
 */
const V00 = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;
/** A later version may append fields after the four it shares with version 00. */
const LATER = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(?:-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_PARENT = '0'.repeat(16);

/** The header as received when valid, else undefined. */
export function traceparentOf(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string' || header.length > 512) return undefined;
  const value = header.trim();
  let trace: string;
  let parent: string;
  const v00 = V00.exec(value);
  if (v00) [, trace, parent] = v00;
  else {
    const later = LATER.exec(value);
    if (!later || later[1] === '00' || later[1] === 'ff') return undefined;
    [, , trace, parent] = later;
    return trace === ZERO_TRACE || parent === ZERO_PARENT ? undefined : value.slice(0, 55);
  }
  return trace === ZERO_TRACE || parent === ZERO_PARENT ? undefined : value;
}
