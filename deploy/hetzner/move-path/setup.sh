#!/bin/sh
# Rendered by `npm run synth` from deploy/spillway.ts (movePath): do not edit. As root on the box, from the checkout:
#   aws secretsmanager get-secret-value --secret-id spillway/move-path-psk --query SecretString --output text \
#     | ssh deploy@spillway-1.example.com sudo sh deploy/hetzner/move-path/setup.sh --key-from-stdin
# Then: sh deploy/hetzner/move-path/setup.sh (again, any time) and docker compose -f docker-compose.yml -f deploy/hetzner/move-path/compose.move-path.yml up -d
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
ExecStart=/sbin/ip address replace 10.255.0.1/32 dev lo
ExecStop=/sbin/ip address del 10.255.0.1/32 dev lo
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
secret=/etc/swanctl/private/spillway-move.secret
if [ "${1:-}" = "--key-from-stdin" ]; then
  key="$(cat)"
  case "$key" in ''|*[!A-Za-z1-9._]*) echo "setup.sh: the key on stdin is empty or not AWS's alphabet (letters, digits, . _)" >&2; exit 1;; esac
  (umask 077; printf 'ike-spillway-move {\n  secret = "%s"\n}\n' "$key" > "$secret")
fi
[ -s "$secret" ] || { echo "setup.sh: no key in $secret; pipe it in with --key-from-stdin (see the top of this file)" >&2; exit 1; }

install -m 0644 "$here/swanctl.conf" /etc/swanctl/conf.d/spillway-move.conf
systemctl daemon-reload
systemctl enable --now spillway-move-address.service spillway-move-firewall.service strongswan.service
swanctl --load-all
echo "setup.sh: waiting for AWS to start the tunnels: swanctl --list-sas"
