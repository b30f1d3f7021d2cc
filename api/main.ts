import { Client, Connection } from '@temporalio/client';
import { loadCapabilityCatalogOrExit } from '../capabilities/capability-catalog';
import { apiEnvSchema, loadEnvOrExit } from '../config/env';
import { migrate } from '../db/migrate';
import { createPool } from '../db/pool';
import { createLogger } from '../observability/logger';
import { capflowDataConverter } from '../pii/data-converter';
import { createApp } from './app';

/** Serves the API. Stateless: run as many replicas as you like behind a load balancer. */
async function main(): Promise<void> {
  const config = loadEnvOrExit(apiEnvSchema);
  const catalog = loadCapabilityCatalogOrExit();
  const logger = createLogger('api', config.LOG_LEVEL);
  const db = createPool(config.DATABASE_URL);
  const { applied } = await migrate(db);
  if (applied.length) logger.info({ applied }, 'migrations applied');

  // Lazy: the API starts (and /readyz can say why it is not ready) even while Temporal is down.
  const connection = Connection.lazy({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: capflowDataConverter(config.PAYLOAD_KEYS) });
  const app = createApp({
    catalog,
    db,
    temporal,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    apiKeys: config.API_KEYS,
    webhookSigningKey: config.WEBHOOK_SIGNING_KEY,
    payloadKeys: config.PAYLOAD_KEYS,
    piiHashKey: config.PII_HASH_KEY,
    proofing: { maxAttempts: config.PROOFING_MAX_ATTEMPTS, attemptWindowMs: config.PROOFING_ATTEMPT_WINDOW_MS },
    codecCorsOrigins: config.CODEC_CORS_ORIGINS,
    documentMaxBytes: config.DOCUMENT_MAX_BYTES,
    stagingDir: config.CALIBRATION_STAGING_DIR,
    logger,
  });

  const server = app.listen(config.PORT, config.HOST, () => {
    logger.info({ port: config.PORT, host: config.HOST }, 'api listening');
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'api stopping: draining connections');
    // Stop accepting, let in-flight requests finish, then release the pools.
    server.close(() => {
      void Promise.allSettled([connection.close(), db.end()]).then(() => process.exit(0));
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`api failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
