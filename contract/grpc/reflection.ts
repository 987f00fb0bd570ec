import type { PackageDefinition, ProtobufTypeDefinition } from '@grpc/proto-loader';
import descriptor, { type IDescriptorProto, type IFileDescriptorProto } from 'protobufjs/ext/descriptor/index.js';

/**
 * Server reflection serves the file descriptors proto-loader wrote, and proto-loader writes them with
 * protobufjs 7's Type#toDescriptor, which names a map field's entry message `Statuses` where protoc
 * names it `StatusesEntry`. Go's protobuf (grpcurl, grpc-health-probe, any Go client by reflection)
 * refuses such a file outright ("grpc.health.v1.HealthListResponse.statuses is an invalid map:
 * incorrect implicit map entry name"), so not one method of grpc.health.v1.Health could be called.
 * This rewrites the served descriptors as protoc writes them.
 */

const LABEL_REPEATED = 3;
const TYPE_MESSAGE = 11;

/**
 * protoc's name of a map field's entry message: `statuses` -> `StatusesEntry`, `foo_bar` -> `FooBarEntry`
 * (protobuf-go's strs.MapEntryName: underscores dropped, the first letter and each one after an
 * underscore upper-cased).
 */
export function mapEntryName(fieldName: string): string {
  let name = '';
  let upperNext = true;
  for (const char of fieldName) {
    if (char === '_') upperNext = true;
    else {
      name += upperNext ? char.toUpperCase() : char;
      upperNext = false;
    }
  }
  return `${name}Entry`;
}

const lastPart = (typeName: string) => typeName.slice(typeName.lastIndexOf('.') + 1);

/** Renames the map entries of a message and of the messages nested in it; `scope` is its full name's prefix. */
function nameMapEntries(message: IDescriptorProto, scope: string): void {
  const fullName = `${scope}.${message.name ?? ''}`;
  const entries = (message.nestedType ?? []).filter((nested) => nested.options?.mapEntry);
  for (const field of message.field ?? []) {
    if (field.label !== LABEL_REPEATED || field.type !== TYPE_MESSAGE || !field.typeName || !field.name) continue;
    const entry = entries.find((candidate) => candidate.name === lastPart(field.typeName!));
    if (!entry) continue;
    entry.name = mapEntryName(field.name);
    // fully qualified, as protoc writes every reference
    field.typeName = `${fullName}.${entry.name}`;
  }
  for (const nested of message.nestedType ?? []) nameMapEntries(nested, fullName);
}

/** One serialized FileDescriptorProto with its map entries named as protoc names them. */
export function withProtocMapEntries(file: Uint8Array): Buffer {
  const decoded = descriptor.FileDescriptorProto.toObject(descriptor.FileDescriptorProto.decode(file), {
    longs: Number,
  }) as IFileDescriptorProto;
  const scope = decoded.package ? `.${decoded.package}` : '';
  for (const message of decoded.messageType ?? []) nameMapEntries(message, scope);
  const fixed = descriptor.FileDescriptorProto.fromObject(decoded);
  return Buffer.from(descriptor.FileDescriptorProto.encode(fixed).finish());
}

const hasFiles = (definition: object): definition is ProtobufTypeDefinition =>
  Array.isArray((definition as Partial<ProtobufTypeDefinition>).fileDescriptorProtos);

/** The definition as reflection should describe it: every file descriptor rewritten by withProtocMapEntries. */
export function describedAsProtocWould(definition: PackageDefinition): PackageDefinition {
  // every type of one loadSync shares one list of files: rewrite each list once
  const rewritten = new Map<Buffer[], Buffer[]>();
  const rewrite = (files: Buffer[]) => {
    if (!rewritten.has(files)) rewritten.set(files, files.map(withProtocMapEntries));
    return rewritten.get(files)!;
  };
  return Object.fromEntries(
    Object.entries(definition).map(([name, type]) => [
      name,
      hasFiles(type) ? { ...type, fileDescriptorProtos: rewrite(type.fileDescriptorProtos) } : type,
    ]),
  );
}
