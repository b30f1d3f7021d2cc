import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type LogLevel } from '@temporalio/worker';
import { loadCapabilityCatalogOrExit } from '../capabilities/capability-catalog';
import { loadEnvOrExit, workerEnvSchema } from '../config/env';
import { migrate } from '../db/migrate';
import { createPool } from '../db/pool';
import { createMailer } from '../notifications/mailer';
import { createLogger } from '../observability/logger';
import { capflowDataConverter } from '../pii/data-converter';
import { createCapflowWorker } from './create-worker';
import { ensureDocumentPollSchedule } from './document-poll-schedule';
import { startPersonalDataJanitor } from './personal-data-janitor';
import { ensureSearchAttributes } from './search-attribute-registration';

/** Runs one worker process. Scale out by running more of them: they share nothing but Temporal and PostgreSQL. */
async function main(): Promise<void> {
  const config = loadEnvOrExit(workerEnvSchema);
  // The worker runs whatever definition snapshot a request carries, but refuses to start with broken built-ins.
  loadCapabilityCatalogOrExit();
  const logger = createLogger('worker', config.LOG_LEVEL);
  const sdkLevel = (config.LOG_LEVEL === 'silent' || config.LOG_LEVEL === 'fatal' ? 'ERROR' : config.LOG_LEVEL.toUpperCase()) as LogLevel;
  Runtime.install({
    // SIGINT/SIGTERM make the worker stop polling, finish what it holds, then `run()` resolves.
    shutdownSignals: ['SIGINT', 'SIGTERM'],
    logger: new DefaultLogger(sdkLevel, (entry) => {
      const level = entry.level === 'WARN' ? 'warn' : (entry.level.toLowerCase() as 'info');
      logger[level]({ ...entry.meta, sdk: true }, entry.message);
    }),
  });

  const db = createPool(config.DATABASE_URL);
  const { applied } = await migrate(db);
  if (applied.length) logger.info({ applied }, 'migrations applied');

  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  await ensureSearchAttributes(connection.operatorService, config.TEMPORAL_NAMESPACE, logger);
  const clientConnection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection: clientConnection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: capflowDataConverter(config.PAYLOAD_KEYS) });
  if (config.DOCUMENTS_API_URL) {
    await ensureDocumentPollSchedule(temporal, { taskQueue: config.TEMPORAL_TASK_QUEUE, everyMs: config.DOCUMENT_POLL_INTERVAL_MS, pollingWindowMs: config.DOCUMENT_POLLING_WINDOW_MS });
  }
  const worker = await createCapflowWorker({
    connection,
    temporal,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    db,
    webhookSigningKey: config.WEBHOOK_SIGNING_KEY,
    mailer: createMailer(config.SMTP_URL, config.MAIL_FROM),
    payloadKeys: config.PAYLOAD_KEYS,
    proofing: {
      vendorUrl: config.PROOFING_VENDOR_URL,
      callTimeoutMs: config.PROOFING_CALL_TIMEOUT_MS,
      deadlineMs: config.PROOFING_DEADLINE_MS,
      staleAfterMs: config.PROOFING_STALE_AFTER_MS,
      resultTtlMs: config.PROOFING_RESULT_TTL_MS,
    },
    documents: {
      apiUrl: config.DOCUMENTS_API_URL,
      statusCallsPerMinute: config.DOCUMENT_STATUS_CALLS_PER_MINUTE,
      processingTimeoutMs: config.DOCUMENT_PROCESSING_TIMEOUT_MS,
    },
    registration: {
      countryConfigurationUrl: config.COUNTRY_CONFIGURATION_URL,
      jwtSecret: config.COUNTRY_CONFIGURATION_JWT_SECRET,
      callTimeoutMs: config.REGISTRATION_CALL_TIMEOUT_MS,
    },
    calibration: { executorUrl: config.PROCESSING_EXECUTOR_URL, stagingDir: config.CALIBRATION_STAGING_DIR, archiveDir: config.ARCHIVE_DIR },
    shutdownGraceTimeMs: config.WORKER_SHUTDOWN_GRACE_MS,
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
  });
  logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, temporal: config.TEMPORAL_ADDRESS }, 'worker started');
  // Personal data past its time is deleted by every worker (the deletes are idempotent).
  const janitor = startPersonalDataJanitor(db, { parametersTtlMs: config.PROOFING_RESULT_TTL_MS, attemptWindowMs: config.PROOFING_ATTEMPT_WINDOW_MS }, logger);
  try {
    await worker.run();
  } finally {
    clearInterval(janitor);
    await connection.close();
    await clientConnection.close();
    await db.end();
    logger.info('worker stopped');
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`worker failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
