import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { credentials, makeClientConstructor, type Client, type ServiceError } from '@grpc/grpc-js';
import type { V1ContainerPort, V1Probe } from '@kubernetes/client-node';
import { service as healthService } from 'grpc-health-check';

/**
 * Probes as kubelet runs them: grpc (grpc.health.v1 Check), httpGet (2xx and 3xx pass) and
 * tcpSocket (a connection opens) against the pod IP; exec cannot run without a container and is
 * refused before the pod starts. A ProbeLoop applies initialDelaySeconds, periodSeconds,
 * timeoutSeconds and the success and failure thresholds.
 */

export interface CheckResult {
  ok: boolean;
  message: string;
}
export type ProbeCheck = () => Promise<CheckResult>;

const HealthClient = makeClientConstructor(healthService, 'grpc.health.v1.Health');
type HealthStub = Client & {
  Check(
    request: { service: string },
    options: { deadline: Date },
    callback: (error: ServiceError | null, response?: { status: string }) => void,
  ): void;
};

/** Named ports resolve through the container's ports, as kubelet does. */
function resolvePort(port: number | string, ports: V1ContainerPort[]): number | null {
  if (typeof port === 'number' || /^\d+$/.test(port)) return Number(port);
  return ports.find((p) => p.name === port)?.containerPort ?? null;
}

function grpcCheck(address: string, service: string, timeoutMs: number): Promise<CheckResult> {
  const client = new HealthClient(address, credentials.createInsecure()) as unknown as HealthStub;
  return new Promise<CheckResult>((resolve) => {
    client.Check({ service }, { deadline: new Date(Date.now() + timeoutMs) }, (error, response) => {
      if (error)
        resolve({ ok: false, message: `grpc health check of ${address} failed: ${error.details || error.message}` });
      else
        resolve({
          ok: response?.status === 'SERVING',
          message: `grpc health of ${address} service "${service}": ${response?.status}`,
        });
    });
  }).finally(() => client.close());
}

function httpCheck(url: URL, headers: Record<string, string>, timeoutMs: number): Promise<CheckResult> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    // kubelet does not verify serving certificates of probes
    const req = request(
      url,
      {
        headers: { 'User-Agent': 'kube-probe/gptoss-dev-agent', ...headers },
        timeout: timeoutMs,
        rejectUnauthorized: false,
      },
      (res) => {
        res.resume();
        const status = res.statusCode ?? 0;
        resolve({ ok: status >= 200 && status < 400, message: `HTTP probe of ${url.href} returned ${status}` });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', (error) => resolve({ ok: false, message: `HTTP probe of ${url.href} failed: ${error.message}` }));
    req.end();
  });
}

function tcpCheck(host: string, port: number, timeoutMs: number): Promise<CheckResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    const done = (result: CheckResult) => {
      socket.destroy();
      resolve(result);
    };
    socket.once('connect', () => done({ ok: true, message: `TCP ${host}:${port} open` }));
    socket.once('timeout', () => done({ ok: false, message: `TCP ${host}:${port} timed out after ${timeoutMs} ms` }));
    socket.once('error', (error) => done({ ok: false, message: `TCP ${host}:${port} failed: ${error.message}` }));
  });
}

/** The check a probe stands for, against the pod IP; null for exec (not supported here). */
export function probeCheck(probe: V1Probe, podIP: string, ports: V1ContainerPort[]): ProbeCheck | null {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  const port = (value: number | string) => resolvePort(value, ports);
  const unresolved = (value: number | string): CheckResult => ({
    ok: false,
    message: `port ${value} is not a port of the container`,
  });
  if (probe.grpc) {
    const { grpc } = probe;
    return async () => grpcCheck(`${podIP}:${grpc.port}`, grpc.service ?? '', timeoutMs);
  }
  if (probe.httpGet) {
    const { httpGet } = probe;
    return async () => {
      const p = port(httpGet.port);
      if (p === null) return unresolved(httpGet.port);
      const url = new URL(
        `${(httpGet.scheme ?? 'HTTP').toLowerCase()}://${httpGet.host ?? podIP}:${p}${httpGet.path ?? '/'}`,
      );
      return httpCheck(url, Object.fromEntries((httpGet.httpHeaders ?? []).map((h) => [h.name, h.value])), timeoutMs);
    };
  }
  if (probe.tcpSocket) {
    const { tcpSocket } = probe;
    return async () => {
      const p = port(tcpSocket.port);
      return p === null ? unresolved(tcpSocket.port) : tcpCheck(tcpSocket.host ?? podIP, p, timeoutMs);
    };
  }
  return null;
}

export type ProbeResult = 'success' | 'failure';

/**
 * Runs a check every periodSeconds after initialDelaySeconds; the result changes only after
 * successThreshold successes or failureThreshold failures in a row (kubelet's prober worker).
 */
export class ProbeLoop {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private last: ProbeResult | null = null;
  private run = 0;

  constructor(
    private readonly probe: V1Probe,
    private readonly check: ProbeCheck,
    public result: ProbeResult | null,
    private readonly onResult: (result: ProbeResult, message: string) => void,
    /** Every failed check, as kubelet records an Unhealthy event for each. */
    private readonly onFailedCheck: (message: string) => void = () => undefined,
  ) {}

  start(): void {
    this.schedule((this.probe.initialDelaySeconds ?? 0) * 1000);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), delayMs);
  }

  private async tick(): Promise<void> {
    const started = Date.now();
    const { ok, message } = await this.check().catch((error: unknown) => ({ ok: false, message: String(error) }));
    if (this.stopped) return;
    const result: ProbeResult = ok ? 'success' : 'failure';
    if (!ok) this.onFailedCheck(message);
    this.run = result === this.last ? this.run + 1 : 1;
    this.last = result;
    const threshold = ok ? (this.probe.successThreshold ?? 1) : (this.probe.failureThreshold ?? 3);
    if (this.run >= threshold && result !== this.result) {
      this.result = result;
      this.onResult(result, message);
    }
    this.schedule(Math.max(0, (this.probe.periodSeconds ?? 10) * 1000 - (Date.now() - started)));
  }
}
