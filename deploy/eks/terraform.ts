// The AWS side of the same definition as Terraform JSON: the lane queues (FIFO where a lane
// promises order), their DLQs and redrive, and the IRSA role the pods, ESO and KEDA use.
// Queue names come from model/queues.ts, the same rule as the SQS driver's.
import { Lane } from '../../libs/config/src/lanes';
import { SpillwayDefinition } from '../model/definition';
import { allLanes, isFifo, queueName } from '../model/queues';

type Obj = Record<string, unknown>;

const DLQ_RETENTION_SECONDS = 14 * 24 * 3600; // SQS maximum: time to look at what failed
const LONG_POLL_SECONDS = 20;

function queues(def: SpillwayDefinition, lane: Lane): Obj {
  const fifo = isFifo(lane)
    ? // High-throughput FIFO: ordering per MessageGroupId (the event key), not per queue.
      { fifo_queue: true, content_based_deduplication: true, deduplication_scope: 'messageGroup', fifo_throughput_limit: 'perMessageGroupId' }
    : {};
  const tags = { app: def.name, lane };
  return {
    [lane]: {
      name: queueName(def.queuePrefix, lane),
      ...fifo,
      // A delivery's lease; the driver extends it for long handlers.
      visibility_timeout_seconds: def.leaseMs / 1000,
      receive_wait_time_seconds: LONG_POLL_SECONDS,
      sqs_managed_sse_enabled: true,
      // SQS counts receives; after MAX_ATTEMPTS the message moves to the DLQ on its own.
      redrive_policy: `\${jsonencode({deadLetterTargetArn = aws_sqs_queue.${lane}_dlq.arn, maxReceiveCount = ${def.maxAttempts}})}`,
      tags,
    },
    [`${lane}_dlq`]: {
      name: queueName(def.queuePrefix, lane, true),
      ...(isFifo(lane) ? { fifo_queue: true, content_based_deduplication: true } : {}),
      message_retention_seconds: DLQ_RETENTION_SECONDS,
      sqs_managed_sse_enabled: true,
      tags: { ...tags, dlq: 'true' },
    },
  };
}

/** Separate resource: set on the DLQ itself it would reference the source queue, a cycle. */
function redriveAllow(lane: Lane): Obj {
  return {
    queue_url: `\${aws_sqs_queue.${lane}_dlq.id}`,
    redrive_allow_policy: `\${jsonencode({redrivePermission = "byQueue", sourceQueueArns = [aws_sqs_queue.${lane}.arn]})}`,
  };
}

function policyDocuments(def: SpillwayDefinition): Obj {
  const eks = def.targets.eks;
  const lanes = allLanes();
  const queueArns = lanes.flatMap((l) => [`\${aws_sqs_queue.${l}.arn}`, `\${aws_sqs_queue.${l}_dlq.arn}`]);
  const used = [...new Set(def.services.flatMap((s) => s.secrets))];
  const remoteKeys = [...new Set(used.map((name) => def.secrets[name].remoteKey))].sort();
  const secretArns = remoteKeys.map((key) => `arn:aws:secretsmanager:${eks.region}:${eks.accountId}:secret:${key}-*`);
  return {
    spillway_assume: {
      statement: [
        {
          sid: 'PodsThroughIrsa',
          actions: ['sts:AssumeRoleWithWebIdentity'],
          principals: [{ type: 'Federated', identifiers: ['${var.oidc_provider_arn}'] }],
          condition: [
            { test: 'StringEquals', variable: '${var.oidc_provider}:sub', values: [`system:serviceaccount:${eks.namespace}:${def.name}`] },
            { test: 'StringEquals', variable: '${var.oidc_provider}:aud', values: ['sts.amazonaws.com'] },
          ],
        },
        {
          // KEDA's TriggerAuthentication uses identityOwner=workload: the operator assumes this role.
          sid: 'KedaReadsQueueDepth',
          actions: ['sts:AssumeRole'],
          principals: [{ type: 'AWS', identifiers: ['${var.keda_operator_role_arn}'] }],
        },
      ],
    },
    spillway_access: {
      statement: [
        {
          sid: 'LaneQueues',
          actions: ['sqs:SendMessage', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
          resources: queueArns,
        },
        { sid: 'SecretsForEso', actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], resources: secretArns },
      ],
    },
  };
}

export function terraformObject(def: SpillwayDefinition): Obj {
  const eks = def.targets.eks;
  const lanes = allLanes();
  return {
    '//': 'Rendered by `npm run synth` from deploy/spillway.ts: edit the definition, not this file.',
    terraform: { required_providers: { aws: { source: 'hashicorp/aws', version: '>= 5.0' } } },
    provider: { aws: { region: eks.region } },
    variable: {
      oidc_provider_arn: { type: 'string', description: `IAM OIDC provider ARN of EKS cluster ${eks.cluster}` },
      oidc_provider: { type: 'string', description: 'Its issuer without https://, e.g. oidc.eks.<region>.amazonaws.com/id/<id>' },
      keda_operator_role_arn: { type: 'string', description: "IAM role of KEDA's operator (its own IRSA role)" },
    },
    data: { aws_iam_policy_document: policyDocuments(def) },
    resource: {
      aws_sqs_queue: Object.assign({}, ...lanes.map((l) => queues(def, l))),
      aws_sqs_queue_redrive_allow_policy: Object.fromEntries(lanes.map((l) => [`${l}_dlq`, redriveAllow(l)])),
      aws_iam_role: {
        spillway: { name: eks.roleName, assume_role_policy: '${data.aws_iam_policy_document.spillway_assume.json}' },
      },
      aws_iam_policy: {
        spillway: { name: `${eks.roleName}-access`, policy: '${data.aws_iam_policy_document.spillway_access.json}' },
      },
      aws_iam_role_policy_attachment: {
        spillway: { role: '${aws_iam_role.spillway.name}', policy_arn: '${aws_iam_policy.spillway.arn}' },
      },
    },
    output: {
      role_arn: { value: '${aws_iam_role.spillway.arn}' },
      queue_urls: { value: Object.fromEntries(lanes.map((l) => [l, `\${aws_sqs_queue.${l}.url}`])) },
    },
  };
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, sortKeys(v)]));
}

export function renderTerraform(def: SpillwayDefinition): string {
  return `${JSON.stringify(sortKeys(terraformObject(def)), null, 2)}\n`;
}
