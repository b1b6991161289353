// Test-only `--apply` hook for `npm run cutover`: what the Route 53 weight change (cutover-dns.ts)
// is in production, here a graceful reload of the test's nginx with the step's weights.
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');
const { writeConf } = require('./nginx-conf');

const dir = process.argv[2];
writeConf(dir, { hetzner: Number(process.env.SPILLWAY_WEIGHT_HETZNER), eks: Number(process.env.SPILLWAY_WEIGHT_EKS) });
execFileSync('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-s', 'reload']);
process.stdout.write(`nginx reloaded: hetzner ${process.env.SPILLWAY_WEIGHT_HETZNER} / eks ${process.env.SPILLWAY_WEIGHT_EKS}\n`);
