# One image for every app; docker-compose.yml picks the command (migrate, gateway, admin).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
# Two malloc arenas, not eight per core: what a burst of large turns freed is not kept in arenas
# of their own (README, Performance). It applies to every app of the image.
ENV NODE_ENV=production HOST=0.0.0.0 DATA_DIR=/data MALLOC_ARENA_MAX=2
WORKDIR /app
# The code is root's and read-only to the apps; the only place they write (DATA_DIR: request
# logs spilled while the database is away) belongs to the user they run as.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json ./
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 8080 8081
# The gateway's heap flags (README, Performance): the old generation collected before it doubles.
CMD ["node", "--initial-old-space-size=64", "--heap-growing-percent=50", "dist/apps/gateway/src/main.js"]
