import { once } from 'node:events';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import { EngineRef } from './engine/engineRef.js';
import type { ServeConfig } from './config.js';
import { Engine } from './engine/engine.js';
import { systemClock, type Clock } from '../contract/clock.js';
import { reflectedDefinition, strictRuntimeService } from '../contract/grpc/protos.js';
import { GRPC_TIMEOUTS, startGrpcServer, type GrpcTimeouts } from './grpc/server.js';
import { runtimeImplementation } from './grpc/service.js';
import { RUNTIME_GRPC_SERVICE as SERVICE_NAME, hostPort } from '../contract/names.js';
import { createHttpApp } from './http/app.js';
import type { Logger } from '../contract/log.js';
import { reportRejection, RuntimeMetrics } from './metrics.js';
import { checkModelFile } from './modelFile.js';
import { checkAdapterFiles } from './adapterFiles.js';

export interface RunningRuntime {
  grpcAddress: string;
  httpUrl: string;
  engine: Engine;
  metrics: RuntimeMetrics;
  /** Drains (up to the grace period), cancels what is left, closes the servers and frees the model. */
  shutdown(): Promise<void>;
}

export interface RuntimeDeps {
  clock?: Clock;
  /** Loads the engine; injected by tests that need to hold the loading phase open. */
  loadEngine?: typeof Engine.load;
  /** Shorter gRPC timeouts, for tests that wait them out. */
  grpcTimeouts?: Partial<GrpcTimeouts>;
}

/**
 * Starts the runtime: servers first (health NOT_SERVING, /readyz 503) so probes get answers while
 * the model loads, then the engine; health turns SERVING once it is loaded.
 */
export async function startRuntime(config: ServeConfig, log: Logger, deps: RuntimeDeps = {}): Promise<RunningRuntime> {
  const clock = deps.clock ?? systemClock;
  const loadEngine = deps.loadEngine ?? Engine.load.bind(Engine);
  await checkModelFile(config.modelPath);
  await checkAdapterFiles(config.modelPath, config.adapter);
  const engines = new EngineRef();
  // the base and every adapter have --parallel slots each (engine/lanes.ts)
  const metrics = new RuntimeMetrics(engines, config.parallel * (1 + config.adapter.length));
  const health = new HealthImplementation({ '': 'NOT_SERVING', [SERVICE_NAME]: 'NOT_SERVING' });
  const setHealth = (status: 'SERVING' | 'NOT_SERVING') => {
    health.setStatus('', status);
    health.setStatus(SERVICE_NAME, status);
  };

  const grpcServer = await startGrpcServer({
    host: config.listenAddress,
    port: config.grpcPort,
    maxMessageBytes: config.maxBodyBytes,
    timeouts: { ...GRPC_TIMEOUTS, ...deps.grpcTimeouts },
    log,
    onRequestTimeout: (error) => reportRejection(metrics, log, error, error, { api: 'grpc' }),
    register: (server) => {
      server.addService(strictRuntimeService, runtimeImplementation(engines, metrics, log));
      health.addToServer(server);
      new ReflectionService(reflectedDefinition).addToServer(server);
    },
  }).catch((cause: unknown) => {
    throw new Error(`binding gRPC to ${hostPort(config.listenAddress, config.grpcPort)}`, { cause });
  });

  const app = createHttpApp({ engines, metrics, log, maxBodyBytes: config.maxBodyBytes });
  const httpServer: HttpServer = app.listen(config.httpPort, config.listenAddress);
  try {
    await once(httpServer, 'listening');
  } catch (cause) {
    grpcServer.forceShutdown();
    throw new Error(`binding HTTP to ${hostPort(config.listenAddress, config.httpPort)}`, { cause });
  }
  const httpPort = (httpServer.address() as AddressInfo).port;

  const closeServers = async () => {
    await grpcServer.shutdown();
    httpServer.closeAllConnections();
    await new Promise<void>((resolve) => httpServer.close(() => resolve()));
  };

  let engine: Engine;
  const started = clock.now();
  try {
    engine = await loadEngine(config, metrics, clock, log);
  } catch (cause) {
    grpcServer.forceShutdown();
    await closeServers();
    throw new Error(`cannot load model ${config.modelPath}`, { cause });
  }
  engines.set(engine);
  metrics.loaded();
  setHealth('SERVING');
  const info = engine.info();
  log.info(
    {
      model: info.servedName,
      adapters: info.adapters,
      architecture: info.architecture,
      gpu: info.gpu,
      threads: info.threads,
      slots: info.parallelSlots,
      contextSize: info.contextSize,
      seconds: +(clock.now() - started).toFixed(3),
    },
    'Loaded model',
  );

  let shuttingDown: Promise<void> | null = null;
  const shutdown = () => {
    shuttingDown ??= (async () => {
      log.info({ inFlight: engine.inFlight, graceSeconds: config.graceSeconds }, 'Started shutdown');
      setHealth('NOT_SERVING');
      engines.startDraining();
      engine.closeAdmission();
      const deadline = clock.now() + config.graceSeconds;
      while (engine.inFlight > 0 && clock.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      if (engine.inFlight > 0) {
        log.warn({ cancelled: engine.inFlight }, 'Cancelled generations after the grace period');
        engine.cancelAll();
        while (engine.inFlight > 0) await new Promise((r) => setTimeout(r, 10));
      }
      await closeServers();
      await engine.dispose();
      log.info({}, 'Stopped runtime');
    })();
    return shuttingDown;
  };

  return {
    grpcAddress: hostPort(config.listenAddress, grpcServer.port),
    httpUrl: `http://${hostPort(config.listenAddress, httpPort)}`,
    engine,
    metrics,
    shutdown,
  };
}
