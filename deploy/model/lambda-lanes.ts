// Which of a worker's lanes run as pods and which as AWS Lambda functions, per target. The
// Kubernetes renderer, the AWS stacks, validation and the cost model all ask here, so a lane cannot
// be left out of the pods without getting its function.
import { Lane } from '@spillway/config/lanes';
import { EksDefinition, ServiceSpec, Target } from './definition';

/** A worker lane served by a Lambda function on the EKS target. */
export interface LambdaLane {
  svc: ServiceSpec;
  lane: Lane;
}

/**
 * The worker's lanes that run as functions on an EKS target whose broker is SQS (their event source
 * mappings read SQS). On BullMQ, on EKS as on Hetzner, every lane runs in the worker's pods.
 */
export function lambdaLanesOf(svc: ServiceSpec, target: Target): Lane[] {
  if (target.kind !== 'eks' || target.broker.kind !== 'sqs' || svc.role !== 'worker') return [];
  return (svc.lambda?.lanes ?? []).filter((l) => svc.lanes?.includes(l));
}

/** The lanes the worker's pods consume on a target (WORKER_LANES, KEDA triggers). */
export function podLanes(svc: ServiceSpec, target: Target): Lane[] {
  const off = lambdaLanesOf(svc, target);
  return (svc.lanes ?? []).filter((l) => !off.includes(l));
}

/** False for a worker whose every lane runs on Lambda there: no Deployment, Service, scaler... */
export function runsPods(svc: ServiceSpec, target: Target): boolean {
  return svc.role !== 'worker' || podLanes(svc, target).length > 0;
}

/** Every Lambda lane of the definition, in service then lane order. */
export function lambdaLanes(def: EksDefinition): LambdaLane[] {
  return def.services.flatMap((svc) => lambdaLanesOf(svc, def.target).map((lane) => ({ svc, lane })));
}

/** postgres://<user>@<host>:5432/<database>?sslmode=require: no password, the proxy requires TLS. */
export function proxyDatabaseUrl(def: EksDefinition, host: string): string {
  return `postgres://${def.target.aws.database.proxy!.user}@${host}:5432/${def.dependencies.postgres.database}?sslmode=require`;
}

/** `<definition>-<service>-<lane>`, e.g. spillway-worker-low: the function, its log group and alarms. */
export function functionName(def: Pick<EksDefinition, 'name'>, svc: ServiceSpec, lane: Lane): string {
  return `${def.name}-${svc.name}-${lane}`;
}
