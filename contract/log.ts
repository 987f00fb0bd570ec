import { pino, destination, stdTimeFunctions, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs on stderr, Kubernetes style: capitalised past-tense messages with the object
 * named in fields. stdout stays free for the machine-readable GRPC=/HTTP= lines.
 */
export function createLogger(level = process.env.GPTOSS_LOG_LEVEL ?? 'info'): Logger {
  return pino(
    {
      level,
      base: undefined,
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination({ fd: 2, sync: true }),
  );
}
