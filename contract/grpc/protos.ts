import { loadPackageDefinition, type GrpcObject, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import protobuf from 'protobufjs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../paths.js';

/** The .proto files: the runtime serves them, the gateway relays them, clients read them by reflection. */
export const PROTO_DIR = join(PACKAGE_ROOT, 'contract', 'proto');
const RUNTIME_PROTO = 'gptoss/runtime/v1/runtime.proto';

const STATUS_PROTO = 'google/rpc/status.proto';
const ERROR_DETAILS_PROTO = 'google/rpc/error_details.proto';

/**
 * keepCase: the wire's snake_case names reach the shared request schema unchanged; enums as their
 * names; unset optional fields stay undefined (defaults: false), so "not given" differs from 0.
 */
export const LOADER_OPTIONS = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: false,
  arrays: true,
  oneofs: true,
  includeDirs: [PROTO_DIR],
};

export const packageDefinition: PackageDefinition = loadSync([RUNTIME_PROTO, ERROR_DETAILS_PROTO], LOADER_OPTIONS);

/** What server reflection describes: our API, the error details and grpc.health.v1, so grpcurl needs no proto files. */
export const reflectedDefinition: PackageDefinition = {
  ...packageDefinition,
  ...loadSync(healthProtoPath, LOADER_OPTIONS),
};

const loaded = loadPackageDefinition(packageDefinition);
const v1 = ((loaded.gptoss as GrpcObject).runtime as GrpcObject).v1 as GrpcObject;
export const runtimeService = (v1.Runtime as unknown as { service: ServiceDefinition }).service;
export const RuntimeClient = v1.Runtime as unknown as new (...args: unknown[]) => unknown;

const statusRoot = new protobuf.Root();
statusRoot.resolvePath = (_origin, target) =>
  target.startsWith('google/protobuf/') ? target : `${PROTO_DIR}/${target}`;
statusRoot.loadSync([STATUS_PROTO, ERROR_DETAILS_PROTO], { keepCase: true });
export const RpcStatus = statusRoot.lookupType('google.rpc.Status');
export const BadRequest = statusRoot.lookupType('google.rpc.BadRequest');
export const ErrorInfo = statusRoot.lookupType('google.rpc.ErrorInfo');
