/** What one dependency check found: `up` or `down`, with what it wants to say (driver, message...). */
export type CheckResult = { status: 'up' | 'down' } & Record<string, unknown>;
export type ReadinessCheck = () => CheckResult | Promise<CheckResult>;

/** The body of `GET /health/ready`, in the shape @nestjs/terminus gave it (kept for probes and scripts). */
export interface ReadinessReport {
  status: 'ok' | 'error';
  info: Record<string, CheckResult>;
  error: Record<string, CheckResult>;
  details: Record<string, CheckResult>;
}

/**
 * Runs every check at once; a check that throws is `down` with its error's message. The report is
 * `ok` only when every check is `up`: it claims nothing the checks did not look at.
 */
export async function runReadiness(checks: Record<string, ReadinessCheck>): Promise<ReadinessReport> {
  const names = Object.keys(checks);
  const results = await Promise.all(
    names.map(async (name): Promise<CheckResult> => {
      try {
        return await checks[name]();
      } catch (err) {
        return { status: 'down', message: (err as Error)?.message ?? String(err) };
      }
    }),
  );
  const report: ReadinessReport = { status: 'ok', info: {}, error: {}, details: {} };
  names.forEach((name, i) => {
    const result = results[i];
    report.details[name] = result;
    if (result.status === 'up') report.info[name] = result;
    else {
      report.error[name] = result;
      report.status = 'error';
    }
  });
  return report;
}

/**
 * The worker's database ping, supplied by `libs/db` (whose module holds the connection) so that
 * this library, and with it the absorber, never loads an ORM.
 */
export const DATABASE_PING = Symbol('DATABASE_PING');
export type DatabasePing = (timeoutMs: number) => Promise<void>;
