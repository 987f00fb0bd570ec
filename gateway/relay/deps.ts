import type { Agent } from 'node:http';
import type { KeyDirectory, QuotaKeeper } from '../types.js';
import type { RoutingDeps } from './attempts.js';
import type { RelayConfig } from './config.js';
import type { HeldRequests } from './hold.js';
import type { Accounting } from './record.js';

/** What every front end (HTTP, gRPC) of the relay works with. */
export interface RelayDeps extends RoutingDeps {
  keys: KeyDirectory;
  quotas: QuotaKeeper;
  config: RelayConfig;
  accounting: Accounting;
  /** Keep-alive connections to the replicas' HTTP ports, shared by requests and scrapes. */
  agent: Agent;
  /** Requests for models with no Ready replica wait here (and wake them). */
  holds: HeldRequests;
}
