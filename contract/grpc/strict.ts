import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { ApiError, invalidArgument } from '../api/errors.js';

/**
 * Request decoding that refuses what protobuf would silently drop. A decoder skips fields it does not
 * know, so a client built from a newer (or another) proto would have its fields ignored; and bytes
 * that are not a message at all make grpc-js answer INTERNAL. Here both become INVALID_ARGUMENT with
 * a clear message, like a bad field in the shared schema.
 */

/** What the deserializer hands the handler in place of a request it could not accept. */
export class MalformedRequest {
  constructor(readonly error: ApiError) {}
}

/** The wire types a field may arrive in: a repeated scalar packed (2) or not. */
function wireTypesOf(field: protobuf.Field): number[] {
  if (field.resolvedType instanceof protobuf.Type) return [2];
  const scalar =
    field.resolvedType instanceof protobuf.Enum ? 0 : (protobuf.types.basic as Record<string, number>)[field.type]!;
  return field.repeated && scalar !== 2 ? [scalar, 2] : [scalar];
}

/**
 * Walks the message's wire format: the first field number its type does not define, or the first
 * field in a wire type its declaration does not allow, as an error naming it. Throws on bytes that
 * are not protobuf at all (protobufjs's Reader checks every bound).
 */
function checkFields(type: protobuf.Type, reader: protobuf.Reader, end: number, path: string): ApiError | undefined {
  const seen = new Map<number, number>();
  while (reader.pos < end) {
    const tag = reader.uint32();
    const [id, wireType] = [tag >>> 3, tag & 7];
    const field = type.fieldsById[id];
    if (!field) {
      const name = `${path}#${id}`;
      return invalidArgument(
        name,
        `${name}: unknown field number ${id}; ${type.fullName.slice(1)} does not define it ` +
          '(is the client built from a newer proto?)',
      );
    }
    const name = path + field.name + (field.repeated ? `[${seen.get(id) ?? 0}]` : '');
    seen.set(id, (seen.get(id) ?? 0) + 1);
    if (!wireTypesOf(field).includes(wireType)) {
      return invalidArgument(name, `${name}: wire type ${wireType} does not fit the field's type ${field.type}`);
    }
    if (field.resolvedType instanceof protobuf.Type) {
      const next = reader.uint32() + reader.pos;
      if (next > end) throw new RangeError(`${name}: length runs past the end of the message`);
      const nested = checkFields(field.resolvedType, reader, next, `${name}.`);
      if (nested) return nested;
      reader.pos = next;
    } else {
      reader.skipType(wireType);
    }
  }
  if (reader.pos > end) throw new RangeError('the last field runs past the end of the message');
  return undefined;
}

function strictDeserializer(type: protobuf.Type, decode: (bytes: Buffer) => unknown) {
  return (bytes: Buffer): unknown => {
    try {
      const problem = checkFields(type, protobuf.Reader.create(bytes), bytes.length, '');
      return problem ? new MalformedRequest(problem) : decode(bytes);
    } catch (cause) {
      const why = cause instanceof Error ? cause.message : String(cause);
      return new MalformedRequest(
        new ApiError(
          'invalid_argument',
          `the request is not a valid ${type.fullName.slice(1)} message: ${why}`,
          undefined,
          { cause },
        ),
      );
    }
  };
}

/** The service with every request deserializer strict; its handlers must check for MalformedRequest. */
export function strictService(service: ServiceDefinition, described: protobuf.Service): ServiceDefinition {
  return Object.fromEntries(
    Object.entries(service).map(([name, method]: [string, MethodDefinition<unknown, unknown>]) => {
      const type = described.methods[name]!.resolvedRequestType!;
      return [name, { ...method, requestDeserialize: strictDeserializer(type, method.requestDeserialize) }];
    }),
  );
}
