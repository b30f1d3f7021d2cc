import type { Pool } from 'pg';
import { purgeExpiredPersonalData } from '../db/personal-data';
import type { Logger } from '../observability/logger';

/** Every 30 s: delete proofing results, attempt records and sealed parameters whose time has passed. */
export function startPersonalDataJanitor(db: Pool, options: { parametersTtlMs: number; attemptWindowMs: number }, logger: Logger, everyMs = 30_000): NodeJS.Timeout {
  const timer = setInterval(() => {
    purgeExpiredPersonalData(db, options).then(
      (purged) => {
        if (purged.results || purged.attempts || purged.requests) logger.info({ purged }, 'expired personal data deleted');
      },
      (err: unknown) => logger.warn({ err: (err as Error).message }, 'personal data purge failed; next round retries'),
    );
  }, everyMs);
  timer.unref();
  return timer;
}
