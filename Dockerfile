# syntax=docker/dockerfile:1
#
# Tessera's image: one image, two roles.
#
#   API (default CMD): `node --import tsx src/api/main.ts`, an API-only process. It needs
#     TEMPORAL_ADDRESS, MONGODB_URI and REDIS_URL (CLICKHOUSE_URL for the analytics routes) and the
#     same TESSERA_ADMIN_KEY, TESSERA_JWT_SECRET, TESSERA_KEY_PEPPER and TESSERA_PSEUDONYM_KEY as
#     the workers.
#   Worker (override the command): `node --import tsx src/dev/main.ts` with TEMPORAL_ADDRESS,
#     MONGODB_URI, REDIS_URL and CLICKHOUSE_URL all set starts no embedded service and runs the chat,
#     analytics and ops workers plus an internal API (health on :8080/api/health). Without
#     OPENAI_API_KEY / OPENAI_BASE_URL it answers with the in-process offline model.
#
#   docker build -t tessera .
#   docker run --rm -p 127.0.0.1:8080:8080 -e TEMPORAL_ADDRESS=… -e MONGODB_URI=… -e REDIS_URL=… tessera
#   docker run --rm -e TEMPORAL_ADDRESS=… -e MONGODB_URI=… -e REDIS_URL=… -e CLICKHOUSE_URL=… \
#     tessera node --import tsx src/dev/main.ts
#
# temporal-docker-compose.yml runs both roles against its services. No secret is baked in: every
# key comes from the environment at run time. Both roles refuse to start (exit 78, naming what is
# missing) without TESSERA_ADMIN_KEY, TESSERA_JWT_SECRET, TESSERA_KEY_PEPPER and (where analytics
# runs) TESSERA_PSEUDONYM_KEY: replicas must share them, so no container may invent its own.

# Keep in step with scripts/use-node.sh and .nvmrc (the Node.js Active LTS; Debian 13 "trixie").
ARG NODE_IMAGE=node:26.12.1-trixie-slim

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# Production dependencies exactly as locked. The entry points run TypeScript through tsx, a dev
# dependency, so it is added afterwards at its locked version (with its locked dependencies),
# nested under node_modules/tsx so that it cannot displace anything in the production tree.
RUN npm ci --omit=dev --no-fund --no-audit \
 && TSX_PACKAGES="$(node -e " \
      const lock = require('./package-lock.json').packages; \
      const seen = new Set(); \
      const walk = (name) => { \
        if (seen.has(name)) return; \
        seen.add(name); \
        const entry = lock['node_modules/' + name]; \
        if (!entry) throw new Error('not in package-lock.json: ' + name); \
        Object.keys(entry.dependencies || {}).forEach(walk); \
      }; \
      walk('tsx'); \
      console.log([...seen].map((name) => name + '@' + lock['node_modules/' + name].version).join(' '));")" \
 && mkdir /tmp/tsx \
 && cd /tmp/tsx \
 && echo '{"name":"tsx-runtime","private":true}' > package.json \
 && npm install --no-fund --no-audit --no-save --no-package-lock $TSX_PACKAGES \
 && mv node_modules/tsx /app/node_modules/tsx \
 && rm -rf node_modules/.bin node_modules/.package-lock.json \
 && mv node_modules /app/node_modules/tsx/node_modules \
 && cd /app \
 && rm -rf /tmp/tsx /root/.npm \
 && node --import tsx -e "process.exit(0)"

# The console (console/, served by the API at /console): built by Vite, a dev dependency, in a stage
# of its own with the whole locked tree (install scripts skipped: the build runs none of them);
# only its output, dist/console/, reaches the image.
FROM ${NODE_IMAGE} AS console
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --ignore-scripts --no-fund --no-audit
COPY console ./console
RUN npm run console:build \
 && test -f dist/console/index.html

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    TESSERA_DATA_DIR=/app/.data
WORKDIR /app
# Code and dependencies stay owned by root (read-only to the process); only the data directory
# (workflow bundle cache, archives, generated secrets) is writable by the `node` user.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
COPY templates ./templates
COPY packs ./packs
COPY --from=console /app/dist/console ./dist/console
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
EXPOSE 8080
CMD ["node", "--import", "tsx", "src/api/main.ts"]
