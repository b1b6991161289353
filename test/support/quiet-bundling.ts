/*
 * CDK writes "Bundling asset <path>..." to stderr each time a spec synthesizes a stack with the
 * worker's Lambda asset (41 lines in a unit run), past Vitest's console capture. A setup file of the
 * unit project: that progress line, exactly, is dropped; anything else on stderr, and a bundling
 * failure (an exception, which fails the spec), still shows.
 */
const write = process.stderr.write.bind(process.stderr);
const PROGRESS = /^Bundling asset \S+\.\.\.\r?\n$/;

process.stderr.write = ((chunk: unknown, ...rest: unknown[]) => {
  if (typeof chunk === 'string' && PROGRESS.test(chunk)) return true;
  return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
}) as typeof process.stderr.write;
