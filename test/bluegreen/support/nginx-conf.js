// Test-only: the nginx config of the weighted proxy (the DNS stand-in), shared by the test's
// WeightedProxy and by apply-weights.js, which `npm run cutover --apply` runs after each step.
const { writeFileSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

/** Writes nginx.conf in `dir` from backends.json there and the given weights ({name: weight}). */
function writeConf(dir, weights) {
  const { port, backends } = JSON.parse(readFileSync(join(dir, 'backends.json'), 'utf8'));
  if (!Object.values(weights).some((w) => w > 0)) throw new Error('at least one side needs a weight above 0');
  const servers = Object.entries(backends).map(([name, url]) => {
    const host = new URL(url).host;
    const w = weights[name] ?? 0;
    return w > 0 ? `    server ${host} weight=${w};` : `    server ${host} down;`;
  });
  writeFileSync(
    join(dir, 'nginx.conf'),
    `worker_processes 1;
error_log ${dir}/error.log warn;
pid ${dir}/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  # No client keep-alive: a reload closes the old workers' idle connections, and a client that
  # reuses one at that instant sees a reset. That race belongs to this stand-in (a DNS change
  # closes nothing), so it is kept out of the test rather than counted as a failed request.
  keepalive_timeout 0;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream spillway {
${servers.join('\n')}
    keepalive 32;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://spillway;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`,
  );
  writeFileSync(join(dir, 'weights.json'), JSON.stringify(weights));
}

module.exports = { writeConf };
