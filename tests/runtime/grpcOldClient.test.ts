import { Client, credentials } from '@grpc/grpc-js';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTO_DIR } from '../../contract/grpc/protos.js';
import { SCRIPTED_ANSWER } from '../../runtime/synth/harmonyScript.js';
import { collect, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

/**
 * gptoss.runtime.v1 as it was released before tool calling, whole (comments left out). A client built
 * from it keeps working: every field it knows keeps its number, name and type, what it sends means
 * what it meant, and what the runtime now adds to its answers (usage.reasoning_tokens, tool_call) is
 * skipped by its decoder.
 */
const V1_BEFORE_TOOLS = `
  syntax = "proto3";
  package gptoss.runtime.v1;
  service Runtime {
    rpc Chat(ChatRequest) returns (stream GenerateResponse);
    rpc Generate(GenerateRequest) returns (stream GenerateResponse);
    rpc CountTokens(CountTokensRequest) returns (CountTokensResponse);
    rpc GetModelInfo(GetModelInfoRequest) returns (ModelInfo);
  }
  enum ReasoningEffort {
    REASONING_EFFORT_UNSPECIFIED = 0; REASONING_EFFORT_LOW = 1; REASONING_EFFORT_MEDIUM = 2; REASONING_EFFORT_HIGH = 3;
  }
  enum Channel { CHANNEL_UNSPECIFIED = 0; CHANNEL_ANALYSIS = 1; CHANNEL_COMMENTARY = 2; CHANNEL_FINAL = 3; }
  enum FinishReason {
    FINISH_REASON_UNSPECIFIED = 0; FINISH_REASON_STOP = 1; FINISH_REASON_LENGTH = 2;
    FINISH_REASON_CANCELLED = 3; FINISH_REASON_TOOL_CALL = 4;
  }
  message Message { string role = 1; string content = 2; }
  message ChatRequest {
    string model = 1; repeated Message messages = 2; ReasoningEffort reasoning_effort = 3;
    optional int32 max_tokens = 4; optional float temperature = 5; optional float top_p = 6;
    optional uint32 seed = 7; repeated string stop = 8; optional int32 top_k = 9; optional float min_p = 10;
    optional float repeat_penalty = 11; optional float presence_penalty = 12; optional float frequency_penalty = 13;
  }
  message GenerateRequest {
    string model = 1; string prompt = 2; optional int32 max_tokens = 4; optional float temperature = 5;
    optional float top_p = 6; optional uint32 seed = 7; repeated string stop = 8; optional int32 top_k = 9;
    optional float min_p = 10; optional float repeat_penalty = 11; optional float presence_penalty = 12;
    optional float frequency_penalty = 13;
  }
  message Usage {
    uint32 prompt_tokens = 1; uint32 completion_tokens = 2;
    double time_to_first_token_seconds = 3; double tokens_per_second = 4;
  }
  message GenerateResponse { string text = 1; Channel channel = 2; FinishReason finish_reason = 3; Usage usage = 4; }
  message CountTokensRequest {
    string model = 1; string prompt = 2; repeated Message messages = 3; ReasoningEffort reasoning_effort = 4;
  }
  message CountTokensResponse { uint32 tokens = 1; }
  message GetModelInfoRequest {}
  message ModelInfo {
    string served_name = 1; string variant = 2; string architecture = 3; uint64 file_size_bytes = 4; uint32 files = 5;
    bool harmony = 6; uint32 context_size = 7; uint32 train_context_size = 8; uint32 parallel_slots = 9;
    uint32 max_queue = 10; ReasoningEffort default_reasoning_effort = 11; string gpu = 12; uint32 threads = 13;
    uint64 device_memory_total_bytes = 14; uint64 device_memory_used_bytes = 15;
  }
`;

/** Every field, enum value and method of a proto package, as `Type.name = number: type label` lines. */
function shapeOf(root: protobuf.Root): string[] {
  const v1 = root.lookup('gptoss.runtime.v1') as protobuf.Namespace;
  return v1.nestedArray.flatMap((nested) => {
    if (nested instanceof protobuf.Type) {
      return nested.fieldsArray.map(
        (f) => `${nested.name}.${f.name} = ${f.id}: ${f.type} ${f.repeated ? 'repeated' : ''}`,
      );
    }
    if (nested instanceof protobuf.Enum)
      return Object.entries(nested.values).map(([k, v]) => `${nested.name}.${k} = ${v}`);
    const service = nested as protobuf.Service;
    return service.methodsArray.map((m) => `${service.name}.${m.name}(${m.requestType}) ${m.responseType}`);
  });
}

describe('a client built from the proto before tool calling', () => {
  const old = protobuf.parse(V1_BEFORE_TOOLS, { keepCase: true }).root;
  const ChatRequest = old.lookupType('gptoss.runtime.v1.ChatRequest');
  const GenerateResponse = old.lookupType('gptoss.runtime.v1.GenerateResponse');
  let t: TestRuntime;
  let client: Client;
  beforeAll(async () => {
    t = await startTestRuntime('scripted');
    client = new Client(t.runtime.grpcAddress, credentials.createInsecure());
  });
  afterAll(async () => {
    client?.close();
    await t?.stop();
  });

  const chat = (request: object) =>
    collect<Record<string, unknown>>(
      client.makeServerStreamRequest(
        '/gptoss.runtime.v1.Runtime/Chat',
        (message: object) => Buffer.from(ChatRequest.encode(ChatRequest.fromObject(message)).finish()),
        (bytes: Buffer) => GenerateResponse.toObject(GenerateResponse.decode(bytes), { enums: String }),
        request,
      ),
    );

  it('finds every field, enum value and method it knows in the proto, with the same number, name and type', () => {
    const current = new protobuf.Root();
    current.loadSync(join(PROTO_DIR, 'gptoss/runtime/v1/runtime.proto'), { keepCase: true });
    const before = shapeOf(old);
    expect(before).toHaveLength(72); // 13 enum values, 4 methods, 55 fields
    expect(shapeOf(current)).toEqual(expect.arrayContaining(before));
  });

  it('chats as before: the answer on the final channel, then the finish reason and usage it knows', async () => {
    const { messages, error } = await chat({ messages: [{ role: 'user', content: 'Hi' }] });
    expect(error).toBeNull();
    const final = messages.filter((m) => m.channel === 'CHANNEL_FINAL').map((m) => m.text as string);
    expect(final.join('')).toBe(SCRIPTED_ANSWER);
    const last = messages.at(-1)!;
    expect(last.finish_reason).toBe('FINISH_REASON_STOP');
    expect(Object.keys(last.usage as object).sort()).toEqual([
      'completion_tokens',
      'prompt_tokens',
      'time_to_first_token_seconds',
      'tokens_per_second',
    ]);
    expect((last.usage as { completion_tokens: number }).completion_tokens).toBeGreaterThan(0);
  });

  it("skips what it does not know: the same answer carries reasoning_tokens for today's clients", async () => {
    const { messages, error } = await collect(t.grpc.Chat({ messages: [{ role: 'user', content: 'Hi' }] }));
    expect(error).toBeNull();
    expect((messages.at(-1)!.usage as { reasoning_tokens: number }).reasoning_tokens).toBeGreaterThan(0);
  });
});
