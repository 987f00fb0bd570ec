# syntax=docker/dockerfile:1
# The gptoss runtime (gptoss serve): the CUDA 13 runtime (cuBLAS included), Node.js 24, and
# node-llama-cpp with its CUDA and CPU binaries, non-root (scripts/images.ts lists what goes in).
# Nodes need an NVIDIA driver that supports CUDA 13 (R580 or newer). From the repository root:
#   docker build -f images/runtime.Dockerfile -t ghcr.io/gptoss/runtime:0.1.0 .
ARG NODE_VERSION=24.21.0
ARG CUDA_IMAGE=nvidia/cuda:13.0.2-runtime-ubuntu24.04

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=optional --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build && node dist/scripts/images.js assemble runtime /image

FROM node:${NODE_VERSION}-bookworm-slim AS node

FROM ${CUDA_IMAGE}
ENV NODE_ENV=production \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility
# Node.js alone (no npm): the official binary runs on any glibc the CUDA images ship
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=build /image /app
WORKDIR /app
USER 65532:65532
EXPOSE 8080 50051
ENTRYPOINT ["node", "/app/dist/cli/gptoss.js"]
CMD ["serve", "--help"]
