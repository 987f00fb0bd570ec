import { Client, credentials, status, type ServiceError } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageDefinition } from '../../contract/grpc/protos.js';
import { SCRIPTED_ANSWER } from '../../runtime/synth/harmonyScript.js';
import { plainChat, collect, fieldViolations, startTestRuntime, unary, type TestRuntime } from '../helpers/runtime.js';

const SERVICE = 'gptoss.runtime.v1.Runtime';
type Method = 'Chat' | 'Generate' | 'CountTokens' | 'GetModelInfo';
const method = (name: Method) =>
  (packageDefinition[SERVICE] as unknown as Record<Method, { requestSerialize: (m: object) => Buffer }>)[name];
const encode = (name: Method, request: object) => method(name).requestSerialize(request);

/** A length-delimited field: a message, a string. */
const lengthDelimited = (field: number, bytes: Uint8Array) =>
  Buffer.from(
    protobuf.Writer.create()
      .uint32((field << 3) | 2)
      .bytes(bytes)
      .finish(),
  );

/** A Message's bytes, with any extra fields appended. */
const messageBytes = (role: string, content: string, extra: number[] = []) =>
  Buffer.concat([lengthDelimited(1, Buffer.from(role)), lengthDelimited(2, Buffer.from(content)), Buffer.from(extra)]);

/**
 * Requests as bytes, sent through a raw grpc-js client: what protobuf would silently drop (unknown
 * field numbers) or choke on (bytes that are no message) is refused as INVALID_ARGUMENT, naming the
 * field, never INTERNAL.
 */
describe('gRPC requests on the wire', () => {
  let t: TestRuntime;
  let raw: Client;
  beforeAll(async () => {
    t = await startTestRuntime('scripted');
    raw = new Client(t.runtime.grpcAddress, credentials.createInsecure());
  });
  afterAll(async () => {
    raw?.close();
    await t?.stop();
  });

  const identity = (bytes: Buffer) => bytes;
  const streamBytes = (name: Method, bytes: Buffer) =>
    collect(raw.makeServerStreamRequest(`/${SERVICE}/${name}`, identity, identity, bytes));
  const unaryBytes = (name: Method, bytes: Buffer) =>
    new Promise<ServiceError | null>((resolve) =>
      raw.makeUnaryRequest(`/${SERVICE}/${name}`, identity, identity, bytes, (error) => resolve(error)),
    );

  async function expectGoodChat() {
    expect(await plainChat(t.grpc)).toEqual({ error: null, answer: SCRIPTED_ANSWER });
  }

  const CASES: Array<{ name: string; method: Method; bytes: () => Buffer; field?: string; details: string | RegExp }> =
    [
      {
        name: 'an unknown field number on ChatRequest',
        method: 'Chat',
        // field 20 as a varint: tag 160 (0xa0 0x01), value 1
        bytes: () => Buffer.concat([lengthDelimited(2, messageBytes('user', 'Hi')), Buffer.from([0xa0, 0x01, 0x01])]),
        field: '#20',
        details:
          '#20: unknown field number 20; gptoss.runtime.v1.ChatRequest does not define it ' +
          '(is the client built from a newer proto?)',
      },
      {
        name: 'an unknown field number inside a message',
        method: 'Chat',
        bytes: () =>
          Buffer.concat([
            lengthDelimited(2, messageBytes('system', 'x')),
            // field 15 as a varint: tag 120, value 1
            lengthDelimited(2, messageBytes('user', 'Hi', [120, 1])),
          ]),
        field: 'messages[1].#15',
        details:
          'messages[1].#15: unknown field number 15; gptoss.runtime.v1.Message does not define it ' +
          '(is the client built from a newer proto?)',
      },
      {
        name: 'a field in the wrong wire type',
        method: 'Generate',
        bytes: () => lengthDelimited(4, Buffer.from('seven')),
        field: 'max_tokens',
        details: "max_tokens: wire type 2 does not fit the field's type int32",
      },
      {
        name: 'bytes that are no protobuf message',
        method: 'Generate',
        bytes: () => Buffer.from([0xff, 0xff, 0xff]),
        details: /^the request is not a valid gptoss\.runtime\.v1\.GenerateRequest message: /,
      },
      {
        name: 'a length that runs past the end',
        method: 'Chat',
        bytes: () => Buffer.from([(2 << 3) | 2, 0x40, 0x0a]),
        details: /^the request is not a valid gptoss\.runtime\.v1\.ChatRequest message: /,
      },
    ];

  for (const c of CASES) {
    it(`refuses ${c.name}`, async () => {
      const { messages, error } = await streamBytes(c.method, c.bytes());
      expect(messages).toEqual([]);
      expect(error?.code).toBe(status.INVALID_ARGUMENT);
      expect(error?.details).toMatch(typeof c.details === 'string' ? new RegExp(`^${escape(c.details)}$`) : c.details);
      expect(fieldViolations(error?.metadata).map((v) => v.field)).toEqual(c.field ? [c.field] : []);
      await expectGoodChat();
    });
  }

  it('refuses unknown fields on the unary calls too', async () => {
    const unknownField = Buffer.from([(1 << 3) | 0, 0x01]);
    const info = await unaryBytes('GetModelInfo', unknownField);
    expect([info?.code, info?.details]).toEqual([
      status.INVALID_ARGUMENT,
      '#1: unknown field number 1; gptoss.runtime.v1.GetModelInfoRequest does not define it ' +
        '(is the client built from a newer proto?)',
    ]);
    const count = await unaryBytes(
      'CountTokens',
      Buffer.concat([encode('CountTokens', { prompt: 'abc' }), Buffer.from([(9 << 3) | 5, 0, 0, 0, 0])]),
    );
    expect([count?.code, fieldViolations(count?.metadata).map((v) => v.field)]).toEqual([
      status.INVALID_ARGUMENT,
      ['#9'],
    ]);
  });

  it('takes the sampling extensions, and refuses both a prompt and messages to count', async () => {
    const { messages, error } = await collect(
      t.grpc.Chat({
        messages: [{ role: 'user', content: 'Hi' }],
        top_k: 40,
        min_p: 0.05,
        repeat_penalty: 1.1,
        presence_penalty: 0.5,
        frequency_penalty: 0.5,
      }),
    );
    expect(error).toBeNull();
    expect(messages.at(-1)).toMatchObject({ finish_reason: 'FINISH_REASON_STOP' });
    const both = await unary(t.grpc.CountTokens.bind(t.grpc), {
      prompt: 'abc',
      messages: [{ role: 'user', content: 'Hi' }],
    });
    expect(both.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(both.error?.details).toBe('prompt: give a prompt or messages to count, not both');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
