import { z } from 'zod';
import { int, parseFlags } from '../config.js';
import { fetchTargets, parseFileArg, type FetchTarget } from './args.js';

/** `gptoss fetch` flags, keyed as commander names them; the operator writes them with fetchArgs (./args.ts). */
const fetchFlagsSchema = z.object({
  dest: z.string({ error: 'is required' }).min(1, 'is required'),
  file: z.array(z.string()).min(1, 'is required: at least one <url>=<sha256>'),
  listenAddress: z.string().min(1).default('127.0.0.1'),
  port: int(0, 65535).default(8080),
  retries: int(0, 1000).default(5),
  timeout: int(1, 86_400).default(60),
  linger: int(0, 3600).default(0),
});

export type FetchFlags = z.input<typeof fetchFlagsSchema>;

export interface FetchConfig {
  dest: string;
  files: FetchTarget[];
  listenAddress: string;
  port: number;
  retries: number;
  timeoutSeconds: number;
  lingerSeconds: number;
}

/** Defaults and validation, once at start-up: every file is checked before anything is downloaded. */
export function loadFetchConfig(flags: FetchFlags): FetchConfig {
  const { dest, file, listenAddress, port, retries, timeout, linger } = parseFlags(fetchFlagsSchema, flags);
  return { dest, files: fetchTargets(file.map(parseFileArg)), listenAddress, port, retries, timeoutSeconds: timeout, lingerSeconds: linger };
}
