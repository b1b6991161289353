// pg_dump, pg_restore and psql take the password through PGPASSWORD, never in their arguments:
// a process's arguments are readable by every user of the machine (ps, /proc/<pid>/cmdline).

/** A connection URL without its password (userinfo or `?password=`), and the env that carries it. */
export function passwordToEnv(url: string): { url: string; env: Record<string, string> } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { url, env: {} };
  }
  let password = u.password ? decodeURIComponent(u.password) : undefined;
  const fromQuery = u.searchParams.get('password');
  if (fromQuery !== null) password = fromQuery;
  u.password = '';
  u.searchParams.delete('password');
  return { url: u.toString(), env: password === undefined ? {} : { PGPASSWORD: password } };
}

/**
 * A client tool's arguments (every `--dbname` URL without its password) and its environment
 * (PGPASSWORD set when a URL carried one).
 */
export function toolInvocation(args: string[]): { args: string[]; env: NodeJS.ProcessEnv } {
  const env: NodeJS.ProcessEnv = { ...process.env };
  const out = args.map((a, i) => {
    if (i === 0 || args[i - 1] !== '--dbname') return a;
    const moved = passwordToEnv(a);
    Object.assign(env, moved.env);
    return moved.url;
  });
  return { args: out, env };
}
