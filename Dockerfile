# syntax=docker/dockerfile:1
# One image recipe for every app: docker build --build-arg APP=<auth-server|gateway|accounts|loans|cards> .
# Stage 1 builds the workspace with Nx; stage 2 keeps production dependencies and the app's build output
# only, and runs as the unprivileged `node` user.

FROM node:20.20-bookworm-slim AS build
WORKDIR /workspace
# Native addons (better-sqlite3, argon2) build against Node's headers when no prebuilt binary fits.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY libs/security/package.json libs/security/
COPY libs/service-runtime/package.json libs/service-runtime/
COPY libs/relay/package.json libs/relay/
RUN npm ci --no-audit --no-fund
COPY . .
ARG APP
RUN test -n "$APP" && npx nx run-many -t build -p security service-runtime relay "$APP"

FROM node:20.20-bookworm-slim AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY libs/security/package.json libs/security/
COPY libs/service-runtime/package.json libs/service-runtime/
COPY libs/relay/package.json libs/relay/
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force && apt-get purge -y python3 make g++ && apt-get autoremove -y
COPY --from=build /workspace/libs/security/dist libs/security/dist
COPY --from=build /workspace/libs/service-runtime/dist libs/service-runtime/dist
COPY --from=build /workspace/libs/relay/dist libs/relay/dist
ARG APP
ENV APP=$APP
COPY --from=build /workspace/dist/apps/$APP dist/apps/$APP
USER node
# Ready means the app can serve: database, issuer keys, broker (GET /health/ready, CONVENTIONS.md).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/health/ready').then((r)=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["sh", "-c", "exec node dist/apps/$APP/main.js"]
