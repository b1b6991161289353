import { ConfigError, loadConfig, SpillwayConfig } from './config';

/**
 * The Lambda worker function's configuration (apps/worker/src/lambda), here in libs/ because the
 * definition's validation (deploy/model/validate.ts) runs every rendered function env through it:
 * deploy/ never imports apps/.
 *
 * The function's configuration: `loadConfig`, plus what only the Lambda worker needs. It reads SQS
 * batches, so QUEUE_DRIVER must say sqs; WORKER_LANES must name the lane(s) whose queue feeds it
 * (records from any other queue are refused, so its default of every lane is not taken silently);
 * and the pool must hold two connections per delivery in flight (see LambdaWorkerModule).
 */
export function loadLambdaConfig(env: NodeJS.ProcessEnv): SpillwayConfig {
  const config = loadConfig(env);
  const problems: string[] = [];
  if (config.queueDriver !== 'sqs') {
    problems.push(`QUEUE_DRIVER: the Lambda worker handles SQS batches; set QUEUE_DRIVER=sqs (got "${config.queueDriver}")`);
  }
  if (!env.WORKER_LANES?.trim()) {
    problems.push('WORKER_LANES: not set; name the lane(s) whose queue feeds this function, e.g. WORKER_LANES=normal');
  }
  if (config.dbPoolMax < 2) {
    problems.push(`DB_POOL_MAX: the Lambda worker needs at least 2 (a delivery holds one connection, its failure check takes another); got ${config.dbPoolMax}`);
  }
  if (problems.length) throw new ConfigError(problems);
  return config;
}
