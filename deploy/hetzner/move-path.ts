// The box's side of the move path (docs/move-path.md), rendered into deploy/hetzner/move-path/:
// strongSwan's connection (swanctl.conf, the key included from a root-only file, never here), the
// compose override that publishes Postgres and Redis on the tunnel address only, the firewall that
// admits them from the VPC through IPsec only, and the host steps that install all of it.
import { stringify } from 'yaml';
import { ComposeDefinition } from '../model/definition';
import { MOVE_PATH_CRYPTO, MovePath, STRONGSWAN_PROPOSAL } from '../model/move-path';

export const MOVE_PATH_DIR = 'deploy/hetzner/move-path';
export const MOVE_PATH_CONNECTION = 'spillway-move';
/** Where the key lives on the box, relative to the installed connection (/etc/swanctl/conf.d/). */
export const MOVE_PATH_SECRET = `../private/${MOVE_PATH_CONNECTION}.secret`;
export const BOX_PORTS = { postgres: 5432, redis: 6379 } as const;

const HEADER = (how: string) => `Rendered by \`npm run synth\` from deploy/spillway.ts (movePath): do not edit. ${how}`;

/**
 * strongSwan's connection: IKEv2 with the pre-shared key, the proposals AWS's tunnels are set to,
 * traffic selectors box tunnel address <-> VPC. AWS starts both tunnels (StartupAction start) from
 * addresses the box need not know; the key, not the peer's address, authenticates it.
 */
/** `vpcCidr`: the EKS target's VPC at the other end of the tunnel. */
export function renderSwanctl(def: ComposeDefinition, vpcCidr: string): string {
  const path = def.movePath!;
  return `# ${HEADER('Installed as /etc/swanctl/conf.d/spillway-move.conf by setup.sh.')}
connections {
  ${MOVE_PATH_CONNECTION} {
    version = 2
    local_addrs = ${path.boxPublicIp}
    remote_addrs = %any
    proposals = ${STRONGSWAN_PROPOSAL}
    rekey_time = ${MOVE_PATH_CRYPTO.ikeLifetimeSeconds / 2}s
    dpd_delay = 10s
    local {
      auth = psk
      id = ${path.boxPublicIp}
    }
    remote {
      auth = psk
    }
    children {
      ${MOVE_PATH_CONNECTION} {
        local_ts = ${path.boxTunnelAddress}/32
        remote_ts = ${vpcCidr}
        esp_proposals = ${STRONGSWAN_PROPOSAL}
        rekey_time = ${MOVE_PATH_CRYPTO.childLifetimeSeconds / 2}s
        dpd_action = clear
      }
    }
  }
}
secrets {
  # ike-${MOVE_PATH_CONNECTION} { secret = "<the key>" }, written by setup.sh from Secrets Manager (root only)
  include ${MOVE_PATH_SECRET}
}
`;
}

/** The key file setup.sh writes (root only), which the connection's secrets section includes. */
export function secretFileContent(key: string): string {
  return `ike-${MOVE_PATH_CONNECTION} {\n  secret = "${key}"\n}\n`;
}

/** `docker compose -f docker-compose.yml -f <this>`: Postgres and Redis on the tunnel address, nowhere else. */
export function renderComposeOverride(def: ComposeDefinition): string {
  const a = def.movePath!.boxTunnelAddress;
  const doc = {
    services: {
      postgres: { ports: [`${a}:${BOX_PORTS.postgres}:${BOX_PORTS.postgres}`] },
      redis: { ports: [`${a}:${BOX_PORTS.redis}:${BOX_PORTS.redis}`] },
    },
  };
  return `# ${HEADER('Only during the move window:')}\n#   docker compose -f docker-compose.yml -f ${MOVE_PATH_DIR}/compose.move-path.yml up -d\n${stringify(doc)}`;
}

/**
 * Docker's published ports bypass INPUT, so the rules sit in DOCKER-USER: a new connection to the
 * tunnel address is dropped unless it came from the VPC through IPsec. Containers reaching the VPC
 * leave from the tunnel address (SNAT), the only source the tunnel's selectors carry.
 */
export function renderFirewall(path: MovePath, vpcCidr: string): string {
  const a = path.boxTunnelAddress;
  const rule = (table: string, chain: string, spec: string) => `iptables -t ${table} -C ${chain} ${spec} 2>/dev/null || iptables -t ${table} -I ${chain} ${spec}`;
  return `#!/bin/sh
# ${HEADER('Run by spillway-move-firewall.service after Docker starts; idempotent.')}
set -eu
${rule('filter', 'DOCKER-USER', `-m conntrack --ctorigdst ${a} --ctstate NEW -m policy --dir in --pol none -j DROP`)}
${rule('filter', 'DOCKER-USER', `-m conntrack --ctorigdst ${a} --ctstate NEW ! -s ${vpcCidr} -j DROP`)}
${rule('nat', 'POSTROUTING', `-d ${vpcCidr} ! -s ${a} -j SNAT --to-source ${a}`)}
`;
}

/** Host steps, as root on the box, from the release checkout; every step can be run again. */
export function renderSetup(def: ComposeDefinition): string {
  const path = def.movePath!;
  return `#!/bin/sh
# ${HEADER('As root on the box, from the checkout:')}
#   aws secretsmanager get-secret-value --secret-id ${path.pskSecretName} --query SecretString --output text \\
#     | ssh ${def.target.sshUser}@${def.target.host} sudo sh ${MOVE_PATH_DIR}/setup.sh --key-from-stdin
# Then: sh ${MOVE_PATH_DIR}/setup.sh (again, any time) and docker compose -f docker-compose.yml -f ${MOVE_PATH_DIR}/compose.move-path.yml up -d
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
command -v swanctl >/dev/null 2>&1 && command -v charon-systemd >/dev/null 2>&1 || {
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends strongswan-swanctl charon-systemd iptables
}

# The tunnel address, before Docker publishes ports on it (now and at every boot).
cat > /etc/systemd/system/spillway-move-address.service <<'UNIT'
[Unit]
Description=Spillway move path: the box's tunnel address
Before=docker.service strongswan.service
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/sbin/ip address replace ${path.boxTunnelAddress}/32 dev lo
ExecStop=/sbin/ip address del ${path.boxTunnelAddress}/32 dev lo
[Install]
WantedBy=multi-user.target
UNIT
install -m 0755 "$here/firewall.sh" /usr/local/sbin/spillway-move-firewall
cat > /etc/systemd/system/spillway-move-firewall.service <<'UNIT'
[Unit]
Description=Spillway move path: tunnel address only from the VPC through IPsec
After=docker.service
Requires=docker.service
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/spillway-move-firewall
[Install]
WantedBy=multi-user.target
UNIT

# The key: from stdin into a root-only file; this script never prints it.
secret=/etc/swanctl/private/${MOVE_PATH_CONNECTION}.secret
if [ "\${1:-}" = "--key-from-stdin" ]; then
  key="$(cat)"
  case "$key" in ''|*[!A-Za-z1-9._]*) echo "setup.sh: the key on stdin is empty or not AWS's alphabet (letters, digits, . _)" >&2; exit 1;; esac
  (umask 077; printf 'ike-${MOVE_PATH_CONNECTION} {\\n  secret = "%s"\\n}\\n' "$key" > "$secret")
fi
[ -s "$secret" ] || { echo "setup.sh: no key in $secret; pipe it in with --key-from-stdin (see the top of this file)" >&2; exit 1; }

install -m 0644 "$here/swanctl.conf" /etc/swanctl/conf.d/${MOVE_PATH_CONNECTION}.conf
systemctl daemon-reload
systemctl enable --now spillway-move-address.service spillway-move-firewall.service strongswan.service
swanctl --load-all
echo "setup.sh: waiting for AWS to start the tunnels: swanctl --list-sas"
`;
}

/** The files under deploy/hetzner/move-path/, path -> content; none when the path is off. */
export function renderMovePathBox(def: ComposeDefinition, vpcCidr: string): Record<string, string> {
  if (!def.movePath) return {};
  return {
    [`${MOVE_PATH_DIR}/swanctl.conf`]: renderSwanctl(def, vpcCidr),
    [`${MOVE_PATH_DIR}/compose.move-path.yml`]: renderComposeOverride(def),
    [`${MOVE_PATH_DIR}/firewall.sh`]: renderFirewall(def.movePath, vpcCidr),
    [`${MOVE_PATH_DIR}/setup.sh`]: renderSetup(def),
  };
}
