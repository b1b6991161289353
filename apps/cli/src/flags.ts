/**
 * Each flag of `argv` in turn, with `value()` taking the word after it as its value; a missing
 * value, or another flag in its place, ends in `fail` naming the flag.
 */
export function* cliFlags(argv: string[], fail: (message: string) => never): Generator<{ flag: string; value: () => string }> {
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) fail(`${flag} needs a value (see --help)`);
      return v;
    };
    yield { flag, value };
  }
}
