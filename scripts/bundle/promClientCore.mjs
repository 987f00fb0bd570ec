// What the operator bundle takes of prom-client (scripts/images.ts, BundleSpec.replace): its metric classes, from
// their own files. prom-client's index also loads its Pushgateway (node:http, node:https, node:zlib), its cluster
// aggregator (node:cluster), its default metrics (node:perf_hooks, node:v8) and OpenTelemetry's API, none of which
// the operator uses: 0.7 MiB of its idle memory (docs/benchmarks.md).
export { default as Registry } from 'prom-client/lib/registry.js';
export { default as Counter } from 'prom-client/lib/counter.js';
export { default as Gauge } from 'prom-client/lib/gauge.js';
export { default as Histogram } from 'prom-client/lib/histogram.js';
