import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { credentials, loadPackageDefinition, type Client, type ClientDuplexStream } from '@grpc/grpc-js';
import { fromJSON, loadSync } from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import descriptor, { type IDescriptorProto, type IFileDescriptorProto } from 'protobufjs/ext/descriptor/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOADER_OPTIONS } from '../../contract/grpc/protos.js';
import { describedAsProtocWould, mapEntryName } from '../../contract/grpc/reflection.js';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

/**
 * Reflection describes map fields as protoc does, so Go clients (grpcurl, grpc-health-probe) accept
 * the files: protobufjs alone names `map<string, X> statuses`'s entry `Statuses`, which Go refuses
 * ("incorrect implicit map entry name"). grpcurl itself runs in tests/runtime/grpcurl.bed.test.ts.
 */

const decodeFile = (bytes: Uint8Array) =>
  descriptor.FileDescriptorProto.toObject(descriptor.FileDescriptorProto.decode(bytes)) as IFileDescriptorProto;

const message = (within: { messageType?: IDescriptorProto[]; nestedType?: IDescriptorProto[] }, name: string) =>
  [...(within.messageType ?? []), ...(within.nestedType ?? [])].find((m) => m.name === name)!;

/** The map field's type reference, and the entry it names. */
const mapField = (owner: IDescriptorProto, field: string) => {
  const typeName = owner.field!.find((f) => f.name === field)!.typeName!;
  const entry = owner.nestedType!.find((n) => n.name === typeName.slice(typeName.lastIndexOf('.') + 1));
  return { typeName, entry: entry && { name: entry.name, mapEntry: entry.options?.mapEntry } };
};

describe('map entries named as protoc names them', () => {
  const NAMES: Array<[string, string]> = [
    ['statuses', 'StatusesEntry'],
    ['counts_by_name', 'CountsByNameEntry'],
    ['a__b', 'ABEntry'],
    ['_leading', 'LeadingEntry'],
    ['v1_x', 'V1XEntry'],
  ];
  for (const [field, entry] of NAMES) {
    it(`names ${field}'s entry ${entry}`, () => expect(mapEntryName(field)).toBe(entry));
  }

  it('renames entries of nested messages too, and references them by full name', () => {
    const parsed = protobuf.parse(
      'syntax = "proto3"; package p.q;' +
        'message Outer { message Inner { map<string, int32> counts_by_name = 1; } map<string, Inner> inner_map = 2; }',
      { keepCase: true },
    );
    const definition = describedAsProtocWould(fromJSON(parsed.root.toJSON(), LOADER_OPTIONS));
    const file = decodeFile((definition['p.q.Outer'] as { fileDescriptorProtos: Buffer[] }).fileDescriptorProtos[0]!);
    const outer = message(file, 'Outer');
    expect(mapField(outer, 'inner_map')).toEqual({
      typeName: '.p.q.Outer.InnerMapEntry',
      entry: { name: 'InnerMapEntry', mapEntry: true },
    });
    expect(mapField(message(outer, 'Inner'), 'counts_by_name')).toEqual({
      typeName: '.p.q.Outer.Inner.CountsByNameEntry',
      entry: { name: 'CountsByNameEntry', mapEntry: true },
    });
  });
});

type Reflection = Client & { ServerReflectionInfo(): ClientDuplexStream<object, Record<string, unknown>> };

describe('the runtime reflection serves', () => {
  let t: TestRuntime;
  let reflection: Reflection;
  beforeAll(async () => {
    t = await startTestRuntime('scripted');
    const proto = join(
      dirname(createRequire(import.meta.url).resolve('@grpc/reflection')),
      '../proto/grpc/reflection/v1/reflection.proto',
    );
    const loaded = loadPackageDefinition(loadSync(proto, LOADER_OPTIONS)) as unknown as {
      grpc: { reflection: { v1: { ServerReflection: new (...args: unknown[]) => Reflection } } };
    };
    reflection = new loaded.grpc.reflection.v1.ServerReflection(t.runtime.grpcAddress, credentials.createInsecure());
  });
  afterAll(async () => {
    reflection?.close();
    await t?.stop();
  });

  /** One request on the reflection stream, and its one answer. */
  async function ask(request: object): Promise<Record<string, unknown>> {
    const call = reflection.ServerReflectionInfo();
    const answer = new Promise<Record<string, unknown>>((resolve, reject) => {
      call.once('data', resolve);
      call.once('error', reject);
    });
    call.write(request);
    call.end();
    return answer;
  }

  it('lists every service it serves, itself included', async () => {
    const answer = await ask({ list_services: '*' });
    const services = (answer.list_services_response as { service: Array<{ name: string }> }).service;
    expect(services.map((s) => s.name).sort()).toEqual([
      'gptoss.runtime.v1.Runtime',
      'grpc.health.v1.Health',
      'grpc.reflection.v1.ServerReflection',
      'grpc.reflection.v1alpha.ServerReflection',
    ]);
  });

  it("describes grpc.health.v1's map as StatusesEntry", async () => {
    const answer = await ask({ file_containing_symbol: 'grpc.health.v1.Health' });
    const files = (answer.file_descriptor_response as { file_descriptor_proto: Buffer[] }).file_descriptor_proto;
    const health = files.map(decodeFile).find((f) => f.package === 'grpc.health.v1')!;
    expect(mapField(message(health, 'HealthListResponse'), 'statuses')).toEqual({
      typeName: '.grpc.health.v1.HealthListResponse.StatusesEntry',
      entry: { name: 'StatusesEntry', mapEntry: true },
    });
  });
});
