// Runs the built command as a user would (npm run build first), and gathers what it printed.
import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export const CLI = join(__dirname, '../../dist/apps/cli/src/db-move.js');

export interface MoveRun {
  code: number | null;
  out: string;
  err: string;
}

export function startMove(args: string[]): { child: ChildProcess; done: Promise<MoveRun> } {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const done = new Promise<MoveRun>((resolve) => child.on('close', (code) => resolve({ code, out, err })));
  return { child, done };
}

export function move(args: string[]): Promise<MoveRun> {
  return startMove(args).done;
}
