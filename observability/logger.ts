import pino, { type Logger } from 'pino';

/** One JSON logger per process; `service` tells worker and API lines apart in a shared stream. */
export function createLogger(service: string, level: string): Logger {
  return pino({
    level,
    base: { service },
    // Defence in depth: credentials never reach the log even if a header object is logged whole.
    redact: ['req.headers.authorization', 'headers.authorization', '*.apiKey', '*.password'],
  });
}

export type { Logger };
