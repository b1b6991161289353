import 'reflect-metadata';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { LambdaEntry } from './lambda-entry';

/** The container's worker: its handlers are the pod worker's (HANDLERS in worker.module.ts). */
export const worker = new LambdaEntry();

/** `index.handler` in the bundle: an SQS batch in, the records to retry out (ReportBatchItemFailures). */
export function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  return worker.handle(event, context);
}

// Inside Lambda, start building during the init phase, before the first event arrives; a failure
// here is dropped, and the first invocation tries again and reports it.
if (process.env.AWS_LAMBDA_FUNCTION_NAME) worker.start().catch(() => undefined);
