import type * as NodeHttp from 'node:http';
import type * as NodeHttps from 'node:https';
import { createRequire } from 'node:module';

/**
 * node:http and node:https as CommonJS modules. An ES import of node:http copies every export into its namespace,
 * and on Node.js 22 and later that reads the lazy `WebSocket`, `CloseEvent` and `MessageEvent` getters, which load
 * undici: about 14 MiB resident (Node.js 24: 59.6 MiB for `import 'node:http'` against 46.1 for `require`) in every
 * process that imports it, for a WebSocket client nothing here uses. Import types from node:http as usual; take
 * the values from here (lint refuses a value import of node:http elsewhere).
 */
const requireCommonJs = createRequire(import.meta.url);

export const http = requireCommonJs('node:http') as typeof NodeHttp;
export const https = requireCommonJs('node:https') as typeof NodeHttps;
