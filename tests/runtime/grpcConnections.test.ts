import { once } from 'node:events';
import { connect as http2Connect, constants as h2, type ClientHttp2Session } from 'node:http2';
import { connect as tcpConnect, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { packageDefinition } from '../../contract/grpc/protos.js';
import type { GrpcTimeouts } from '../../runtime/grpc/server.js';
import { SCRIPTED_ANSWER } from '../../runtime/synth/harmonyScript.js';
import { plainChat, collect, counter, startTestRuntime, type TestRuntime } from '../helpers/runtime.js';

/**
 * Clients that hold the gRPC server's resources without using them are dropped. Each runtime
 * shortens only timeouts that cannot close what another's tests open (the others keep their
 * defaults, seconds to minutes), so a connection that closes was closed by the mechanism under test.
 */

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
/** An empty SETTINGS frame: length 0, type 4, no flags, stream 0. */
const EMPTY_SETTINGS = Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]);
const FRAME = { PING: 6, GOAWAY: 7 } as const;

const opened: Array<Socket | ClientHttp2Session> = [];

function rawConnection(address: string): { socket: Socket; received: () => Buffer } {
  const [host, port] = [
    address.slice(0, address.lastIndexOf(':')),
    Number(address.slice(address.lastIndexOf(':') + 1)),
  ];
  const socket = tcpConnect(port, host);
  opened.push(socket);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => undefined);
  return { socket, received: () => Buffer.concat(chunks) };
}

/** The types of the HTTP/2 frames in what the server sent, and whether each is an ACK. */
function frames(bytes: Buffer): Array<{ type: number; ack: boolean }> {
  const out: Array<{ type: number; ack: boolean }> = [];
  for (let at = 0; at + 9 <= bytes.length; at += 9 + bytes.readUIntBE(at, 3)) {
    out.push({ type: bytes[at + 3]!, ack: (bytes[at + 4]! & 1) === 1 });
  }
  return out;
}

async function runtimeWith(timeouts: Partial<GrpcTimeouts>): Promise<TestRuntime> {
  return startTestRuntime('scripted', {}, { grpcTimeouts: timeouts });
}

afterEach(() => {
  for (const connection of opened.splice(0)) connection.destroy();
});

/** Handshake and request arrival share a runtime: neither can close what the other's tests open. */
describe('gRPC: a connection must handshake, and a call must deliver its request', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await runtimeWith({ handshakeMs: 200, requestArrivalMs: 300 });
  });
  afterAll(() => t?.stop());

  it('closes a TCP connection that sends nothing', async () => {
    const { socket } = rawConnection(t.runtime.grpcAddress);
    await once(socket, 'close');
    expect(socket.destroyed).toBe(true);
  });

  it('closes one that stops halfway through the preface', async () => {
    const { socket } = rawConnection(t.runtime.grpcAddress);
    socket.write(PREFACE.subarray(0, 16));
    await once(socket, 'close');
    expect(socket.destroyed).toBe(true);
  });

  it('keeps an HTTP/2 connection that handshook, and serves calls', async () => {
    const session = http2Connect(`http://${t.runtime.grpcAddress}`);
    opened.push(session);
    await once(session, 'remoteSettings');
    await new Promise((resolve) => setTimeout(resolve, 600)); // three handshake timeouts
    expect(session.closed || session.destroyed).toBe(false);
    expect(await plainChat(t.grpc)).toEqual({ error: null, answer: SCRIPTED_ANSWER });
  });

  const timeouts = () => counter(t.httpUrl, 'gptoss_runtime_requests_rejected_total{reason="request_timeout"}');

  /** Opens a call by hand and sends what it is given, never the end of the request; resolves with its status. */
  async function openCall(method: string, body?: Buffer) {
    const session = http2Connect(`http://${t.runtime.grpcAddress}`);
    opened.push(session);
    const stream = session.request({
      [h2.HTTP2_HEADER_METHOD]: 'POST',
      [h2.HTTP2_HEADER_PATH]: `/gptoss.runtime.v1.Runtime/${method}`,
      [h2.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
      te: 'trailers',
    });
    if (body) {
      const framed = Buffer.alloc(5 + body.length);
      framed.writeUInt32BE(body.length, 1);
      body.copy(framed, 5);
      stream.write(framed);
    }
    stream.resume();
    // a status sent before any message comes as headers only ("trailers-only")
    const status = await new Promise<Record<string, unknown>>((resolve) => {
      stream.on('response', (headers) => {
        if (headers['grpc-status'] !== undefined) resolve(headers);
      });
      stream.on('trailers', resolve);
    });
    return { code: Number(status['grpc-status']), message: decodeURIComponent(String(status['grpc-message'])) };
  }

  it('ends a Chat stream that never sends its message with DEADLINE_EXCEEDED, and counts it', async () => {
    const before = await timeouts();
    expect(await openCall('Chat')).toEqual({
      code: 4,
      message: "the request did not arrive within 0.3 s of the call's start",
    });
    expect(await timeouts()).toBe(before + 1);
  });

  it('ends a call that sends its message but never closes its side', async () => {
    const chat = packageDefinition['gptoss.runtime.v1.Runtime'] as unknown as {
      Chat: { requestSerialize: (m: object) => Buffer };
    };
    const body = chat.Chat.requestSerialize({ messages: [{ role: 'user', content: 'Hi' }] });
    expect((await openCall('Chat', body)).code).toBe(4);
    expect((await openCall('GetModelInfo')).code).toBe(4);
  });

  it('lets a call whose request arrives at once run to its end', async () => {
    const { messages, error } = await collect(t.grpc.Chat({ messages: [{ role: 'user', content: 'Hi' }] }));
    expect(error).toBeNull();
    expect(messages.at(-1)).toMatchObject({ finish_reason: 'FINISH_REASON_STOP' });
  });
});

describe('gRPC: keepalive drops a peer that does not answer pings', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await runtimeWith({ keepaliveTimeMs: 200, keepaliveTimeoutMs: 200 });
  });
  afterAll(() => t?.stop());

  it('pings a connection, then closes it when no ACK comes', async () => {
    const { socket, received } = rawConnection(t.runtime.grpcAddress);
    socket.write(Buffer.concat([PREFACE, EMPTY_SETTINGS]));
    await once(socket, 'close');
    expect(frames(received())).toContainEqual({ type: FRAME.PING, ack: false });
  });

  it('keeps a client that answers', async () => {
    const session = http2Connect(`http://${t.runtime.grpcAddress}`);
    opened.push(session);
    const pinged = once(session, 'ping');
    await pinged;
    await new Promise((resolve) => setTimeout(resolve, 600)); // past a ping and its timeout
    expect(session.closed || session.destroyed).toBe(false);
  });
});

describe('gRPC: an idle connection is closed, pings or not', () => {
  let t: TestRuntime;
  beforeAll(async () => {
    t = await runtimeWith({ maxConnectionIdleMs: 500 });
  });
  afterAll(() => t?.stop());

  it('sends GOAWAY to a connection with no calls that keeps pinging', async () => {
    const session = http2Connect(`http://${t.runtime.grpcAddress}`);
    opened.push(session);
    const pinger = setInterval(() => {
      if (!session.destroyed) session.ping(() => undefined);
    }, 100);
    try {
      const [code] = (await once(session, 'goaway')) as [number];
      expect(code).toBe(h2.NGHTTP2_NO_ERROR);
      await once(session, 'close');
    } finally {
      clearInterval(pinger);
    }
  });
});
