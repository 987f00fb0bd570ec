import { loadPackageDefinition, type GrpcObject, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import protobuf from 'protobufjs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { RUNTIME_GRPC_SERVICE } from '../names.js';
import { PACKAGE_ROOT } from '../paths.js';
import { describedAsProtocWould } from './reflection.js';
import { strictService } from './strict.js';

/** The .proto files: the runtime serves them, the gateway relays them, clients read them by reflection. */
export const PROTO_DIR = join(PACKAGE_ROOT, 'contract', 'proto');
const RUNTIME_PROTO = 'gptoss/runtime/v1/runtime.proto';

const STATUS_PROTO = 'google/rpc/status.proto';
const ERROR_DETAILS_PROTO = 'google/rpc/error_details.proto';

/**
 * keepCase: the wire's snake_case names reach the shared request schema unchanged; enums as their
 * names; unset optional fields stay undefined (defaults: false), so "not given" differs from 0.
 * oneofs: false, or every proto3 `optional` field would also arrive as a virtual `_max_tokens`
 * property that the strict request schema rightly refuses.
 */
export const LOADER_OPTIONS = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: false,
  arrays: true,
  oneofs: false,
  includeDirs: [PROTO_DIR],
};

export const packageDefinition: PackageDefinition = loadSync([RUNTIME_PROTO, ERROR_DETAILS_PROTO], LOADER_OPTIONS);

/** The protos of grpc.reflection v1 and v1alpha, from the package that serves them. */
const REFLECTION_PROTOS = ['v1', 'v1alpha'].map((version) =>
  join(
    dirname(createRequire(import.meta.url).resolve('@grpc/reflection')),
    `../proto/grpc/reflection/${version}/reflection.proto`,
  ),
);

/**
 * What server reflection describes: our API, the error details, grpc.health.v1 and reflection itself
 * (as grpc-go's reflection lists itself), so grpcurl needs no proto files; with map entries named as
 * protoc names them, or Go clients refuse the health proto (reflection.ts).
 */
export const reflectedDefinition: PackageDefinition = describedAsProtocWould({
  ...packageDefinition,
  ...loadSync([healthProtoPath, ...REFLECTION_PROTOS], LOADER_OPTIONS),
});

const loaded = loadPackageDefinition(packageDefinition);
const v1 = ((loaded.gptoss as GrpcObject).runtime as GrpcObject).v1 as GrpcObject;
export const runtimeService = (v1.Runtime as unknown as { service: ServiceDefinition }).service;
export const RuntimeClient = v1.Runtime as unknown as new (...args: unknown[]) => unknown;

/** The same protos as protobufjs types: to encode error details, and to check requests on the wire. */
const root = new protobuf.Root();
// google/protobuf/*: protobufjs's bundled well-known types
root.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? target : `${PROTO_DIR}/${target}`);
root.loadSync([STATUS_PROTO, ERROR_DETAILS_PROTO, RUNTIME_PROTO], { keepCase: true }).resolveAll();
export const RpcStatus = root.lookupType('google.rpc.Status');
export const BadRequest = root.lookupType('google.rpc.BadRequest');
export const ErrorInfo = root.lookupType('google.rpc.ErrorInfo');
export const RetryInfo = root.lookupType('google.rpc.RetryInfo');

/** What the runtime serves: unknown fields and bytes that are not a request refused (strict.ts). */
export const strictRuntimeService = strictService(runtimeService, root.lookupService(RUNTIME_GRPC_SERVICE));
