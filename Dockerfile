# syntax=docker/dockerfile:1
#
# Waitroom service image.
#   docker build -t waitroom .
#   docker run -p 8080:8080 -e NODE_ENV=development -e REDIS_URL=... -e KAFKA_BROKERS=... waitroom
# (Redis through Sentinel: -e REDIS_SENTINELS=host:port,... -e REDIS_SENTINEL_MASTER=name instead of
# REDIS_URL's address; docker-compose.yml's `sentinel` profile runs such a Redis for the host.)
#
# NODE_ENV is production here, and production refuses to start without ADMISSION_TOKEN_PRIVATE_KEY
# (every replica must sign with the same key). docker-compose.yml sets NODE_ENV=development, which
# generates a key at start-up; deploy/kubernetes/waitroom.yaml passes the key from a Secret.

# Node 20 matches package.json's engines (>=20.19) and the dev machines. Note that Node 20 is past its
# end of life (April 2026) and @fastify/static's content-disposition@3 declares node >=22: moving to
# node:22-bookworm-slim is a one-line change here (--build-arg NODE_IMAGE=node:22-bookworm-slim).
ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------- all dependencies (for the build)
FROM ${NODE_IMAGE} AS deps
# swagger-ui-dist pulls @scarf/scarf, whose postinstall reports the install over the network: opt out.
ENV SCARF_ANALYTICS=false
WORKDIR /app
COPY package.json package-lock.json ./
# npm ci's postinstall applies these (patch-package): see patches/README.md.
COPY patches ./patches
RUN npm ci --no-audit --no-fund

# ---------------------------------------------------------------- compile TypeScript (+ copy the Lua scripts), bundle the pages
FROM deps AS build
COPY nest-cli.json tsconfig.json tsconfig.build.json ./
COPY scripts/build-web.mjs ./scripts/build-web.mjs
COPY apps ./apps
COPY libs ./libs
RUN npm run build

# ---------------------------------------------------------------- production dependencies only
FROM ${NODE_IMAGE} AS prod-deps
ENV SCARF_ANALYTICS=false
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---------------------------------------------------------------- runtime
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=8080
WORKDIR /app
# Owned by root and read-only for the process: the service writes nothing to its own files.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/dist/apps ./dist/apps
# The waiting page's and the dashboard's bundles (esbuild), served under /assets/.
COPY --from=build /app/dist/web ./dist/web
# `node` (uid 1000) comes with the official image; Kubernetes' runAsUser: 1000 matches it.
USER node
EXPOSE 8080
# Liveness only (the process serves HTTP): a Docker health check that followed Redis would mark
# every container unhealthy during a Redis blip, which restarting cannot fix. Readiness (/health/ready)
# is the orchestrator's business: see docker-compose.yml and deploy/kubernetes/waitroom.yaml.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/health/live', { signal: AbortSignal.timeout(2500) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node as PID 1: the service installs its own SIGTERM/SIGINT handlers (graceful drain), so signals work.
CMD ["node", "--max-semi-space-size=32", "dist/apps/waitroom/apps/waitroom/src/main.js"]
