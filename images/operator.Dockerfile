# syntax=docker/dockerfile:1
# The gptoss operator: Node.js 24 slim, non-root, no inference engine (scripts/images.ts lists what
# goes in). From the repository root:
#   docker build -f images/operator.Dockerfile -t ghcr.io/gptoss/operator:0.1.0 .
ARG NODE_VERSION=24.21.0

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# the compiler and the bundler (esbuild-wasm); no native binaries are needed to build
RUN npm ci --omit=optional --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build && node dist/scripts/images.js assemble operator /image

FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production
# root owns the files; the process cannot change them (and the chart mounts the root read-only)
COPY --from=build /image /app
WORKDIR /app
USER 65532:65532
EXPOSE 8081
# small young-generation semi-spaces, a heap sized for memory, no optimising compiler and gc() to collect start-up's
# garbage: with the bundle that assemble writes, an operator that stays lean (scripts/images.ts and docs/operator.md
# say why)
ENTRYPOINT ["node", "--max-semi-space-size=2", "--optimize-for-size", "--max-opt=1", "--expose-gc", "/app/dist/cli/gptoss.js"]
CMD ["operator"]
