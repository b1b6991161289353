// k6 cannot be installed here, so its script is checked the way an editor would: the TypeScript
// compiler over the JavaScript with `checkJs`, against k6's own type definitions (@types/k6).
import { join } from 'node:path';
import ts from 'typescript';

const ROOT = join(__dirname, '..', '..');

/** One line per type or syntax error in the k6 script at `file` (none: it type-checks). */
export function k6TypeErrors(file: string): string[] {
  const options: ts.CompilerOptions = {
    allowJs: true,
    checkJs: true,
    noEmit: true,
    strict: true,
    noImplicitAny: false,
    target: ts.ScriptTarget.ES2020,
    module: ts.ModuleKind.ES2020,
    // TypeScript 6 refuses node10 resolution and `baseUrl` (deprecated, TS5101); the script imports
    // only `k6/*`, which the types above declare.
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2020.d.ts'],
    types: ['k6'],
    typeRoots: [join(ROOT, 'node_modules', '@types')],
    skipLibCheck: false,
  };
  const program = ts.createProgram([file], options);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, ' ');
    if (!d.file || d.start === undefined) return text;
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    return `${d.file.fileName.replace(`${ROOT}/`, '')}:${line + 1}:${character + 1} ${text}`;
  });
}
