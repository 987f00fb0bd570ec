import type { KubernetesObject } from '@kubernetes/client-node';
import { ApiException, type KubeClient } from '../../contract/kube/client.js';

/**
 * The Lease leader election reads and writes, every request bounded by a timeout: a connection
 * that stops answering (a frozen network, a stalled API server) fails the request instead of
 * holding the elector past its renew deadline. Lease times are MicroTime: the API server wants six
 * fractional digits, which Date.toISOString() does not give.
 */

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease extends KubernetesObject {
  spec?: LeaseSpec;
}

export const microTime = (date: Date) => date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

/** Someone else wrote the Lease since it was read (or created it first). */
export const isConflict = (error: unknown) =>
  error instanceof Error && error.cause instanceof ApiException && error.cause.code === 409;

export class LeaseLock {
  constructor(
    private readonly client: KubeClient,
    readonly ref: { namespace: string; name: string },
    private readonly requestTimeoutMs: number,
  ) {}

  private path(name = this.ref.name): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.ref.namespace}/leases${name ? `/${name}` : ''}`;
  }

  private send<T>(method: 'GET' | 'POST' | 'PUT', path: string, body?: Lease): Promise<T> {
    return this.client.request<T>(method, path, { body, signal: AbortSignal.timeout(this.requestTimeoutMs) });
  }

  get description(): string {
    return `Lease ${this.ref.namespace}/${this.ref.name}`;
  }

  /** The Lease, or null when there is none. */
  async read(): Promise<Lease | null> {
    try {
      return await this.send<Lease>('GET', this.path());
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return null;
      throw this.failed('reading', error);
    }
  }

  async create(spec: LeaseSpec): Promise<void> {
    try {
      await this.send('POST', this.path(''), {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.ref.name, namespace: this.ref.namespace },
        spec,
      });
    } catch (error) {
      throw this.failed('creating', error);
    }
  }

  /** Writes the Lease as read with a new spec; a Lease written by someone since fails with a conflict (409). */
  async replace(lease: Lease, spec: LeaseSpec): Promise<void> {
    try {
      await this.send('PUT', this.path(), { ...lease, spec });
    } catch (error) {
      throw this.failed('writing', error);
    }
  }

  /** What was being done, and a timeout said as one; the API server's error stays the cause (isConflict reads it). */
  private failed(doing: string, error: unknown): Error {
    const timedOut = error instanceof Error && error.name === 'AbortError';
    const why = timedOut ? `: no answer within ${this.requestTimeoutMs} ms` : '';
    return new Error(`${doing} ${this.description}${why}`, { cause: error });
  }
}
