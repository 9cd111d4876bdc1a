# One image for the worker, the api and the bot (docker-compose.yml picks the entry point).
# TypeScript runs through tsx, as in development; the workflow bundle is built at worker start.
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY . .
USER node
CMD ["node", "--import", "tsx", "workers/main.ts"]
