/**
 * The layers, enforced (npm run lint). Top-level folders:
 *   contract/  the leaf: what runtime, operator, gateway and tooling share; imports none of them
 *   runtime/   the inference server; knows nothing of Kubernetes
 *   operator/  api/ (the types, the bottom) <- planner/ (pure) <- controller/ (the only API-server clients)
 *   gateway/   the authenticated front door; contract only
 *   cli/       the gptoss command: composes the above; nothing imports it
 *   cluster/, scripts/, bench/, tests/  tooling around them
 */
const PRODUCT = '^(contract|runtime|operator|gateway|cli)/';
const TOOLING = '^(cluster|scripts|bench|tests)/';

module.exports = {
  forbidden: [
    {
      name: 'contract-is-a-leaf',
      comment: 'contract/ is what every component shares: it imports nothing of theirs.',
      severity: 'error',
      from: { path: '^contract/' },
      to: { path: '^(runtime|operator|gateway|cli|cluster|scripts|bench|tests)/' },
    },
    {
      name: 'runtime-knows-no-kubernetes',
      comment: 'The runtime runs anywhere: it imports contract/ only, and no Kubernetes client.',
      severity: 'error',
      from: { path: '^runtime/' },
      to: { path: ['^(operator|gateway|cli|cluster|scripts|bench|tests)/', '@kubernetes/client-node'] },
    },
    {
      name: 'operator-runs-no-runtime',
      comment:
        'The operator reaches runtimes through the contract (argv, names, metrics); its image has no runtime code.',
      severity: 'error',
      from: { path: '^operator/' },
      to: { path: '^(runtime|gateway|cli|cluster|scripts|bench|tests)/' },
    },
    {
      name: 'gateway-speaks-the-contract',
      comment: 'The gateway talks to runtimes over the wire: contract/ only.',
      severity: 'error',
      from: { path: '^gateway/' },
      to: { path: '^(runtime|operator|cli|cluster|scripts|bench|tests)/' },
    },
    {
      name: 'api-types-are-the-bottom',
      comment: 'operator/api is the one source of the CRD and the docs: it depends on nothing above it.',
      severity: 'error',
      from: { path: '^operator/api/' },
      to: { path: ['^operator/(planner|controller)/', '@kubernetes/client-node'] },
    },
    {
      name: 'api-schemas-load-with-the-first-model',
      comment:
        "The operator's code reads the API's names and types (operator/api/v1alpha1/gptOssModel.ts); its zod schemas " +
        'are loaded by the reconciler with the first model (a dynamic import) and by the CRD generator, so that an ' +
        'idle operator does not build them.',
      severity: 'error',
      from: { path: '^(operator|cli|contract)/', pathNot: '^operator/api/v1alpha1/crd\\.ts$' },
      to: { path: '^operator/api/v1alpha1/schema\\.ts$', dependencyTypesNot: ['type-only', 'dynamic-import'] },
    },
    {
      name: 'planner-is-pure',
      comment: 'The planner decides from data: no client, no clock, no I/O, no gRPC, no logger.',
      severity: 'error',
      from: { path: '^operator/planner/' },
      to: {
        path: [
          '^operator/controller/',
          '^contract/(grpc|log|paths|clock)',
          '^contract/proto/',
          '@kubernetes/client-node',
          '@grpc/',
          'express',
          'pino',
          'prom-client',
          'yaml',
        ],
      },
    },
    {
      name: 'planner-uses-no-io-builtins',
      comment: "Of node's own modules the planner may hash (node:crypto), nothing else.",
      severity: 'error',
      from: { path: '^operator/planner/' },
      to: { dependencyTypes: ['core'], pathNot: '^(node:)?crypto$' },
    },
    {
      name: 'nothing-imports-the-cli',
      comment: 'cli/ composes components into the gptoss command; components and tooling do not depend on it.',
      severity: 'error',
      from: { path: `${PRODUCT}|${TOOLING}`, pathNot: '^(cli|tests)/' },
      to: { path: '^cli/' },
    },
    {
      name: 'product-needs-no-tooling',
      comment:
        'Nothing that ships (contract, runtime, operator, gateway, cli) loads the dev cluster, build scripts, ' +
        'benches or tests, except cli/start (npm start), which loads the demo on demand.',
      severity: 'error',
      from: { path: PRODUCT, pathNot: '^cli/start\\.ts$' },
      to: { path: TOOLING },
    },
    {
      name: 'tooling-uses-the-runtime-only-to-write-models',
      comment: "The dev cluster and build scripts use the runtime's synthetic models, nothing else of it.",
      severity: 'error',
      from: { path: '^(cluster|scripts)/' },
      to: { path: '^runtime/', pathNot: '^runtime/(synth|gguf)/' },
    },
    {
      name: 'no-circular',
      comment: 'Modules depend one way.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-unresolvable',
      comment: 'Every import resolves to a file or an installed package.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    reporterOptions: {
      archi: {
        collapsePattern: '^(contract|runtime|operator/[^/]+|operator|gateway|cli|cluster|scripts|bench|tests)/',
      },
    },
  },
};
