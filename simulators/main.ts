import express from 'express';
import { createCountryConfiguration } from './country-configuration';
import { createDocumentsApi } from './documents-api';
import { createProcessingExecutor } from './processing-executor';
import { createProofingVendor } from './proofing-vendor';

/**
 * Runs capflow's simulators of external services as one process (the local stack starts it).
 * `SIMULATOR_PORT` (default 4100). The proofing vendor answers under /proofing
 * (`POST /proofing/resolution`); `PROOFING_LATENCY_MS`, `PROOFING_FAILURE_RATE` and
 * `PROOFING_SLOW_MS` tune it. The documents API answers under /documents-api; `DOCUMENTS_STEP_MS`
 * (default 20 s per processing step) and `DOCUMENTS_RATE_LIMIT_PER_MINUTE` (60) tune it. The
 * country configuration answers under /country-configuration when `COUNTRY_CONFIGURATION_JWT_SECRET`
 * is set, calling back `CAPFLOW_URL` with `CAPFLOW_INTEGRATION_KEY` after
 * `COUNTRY_CONFIGURATION_CALLBACK_DELAY_MS` (5 s). The processing executor answers under /executor
 * when `CALIBRATION_STAGING_DIR` (where it writes products) is set.
 */
const port = Number(process.env.SIMULATOR_PORT ?? 4100);
const host = process.env.SIMULATOR_HOST ?? '127.0.0.1';
const app = express();
app.use(
  '/proofing',
  createProofingVendor({
    latencyMs: Number(process.env.PROOFING_LATENCY_MS ?? 0),
    failureRate: Number(process.env.PROOFING_FAILURE_RATE ?? 0),
    slowMs: Number(process.env.PROOFING_SLOW_MS ?? 10_000),
  }).app,
);

app.use(
  '/documents-api',
  createDocumentsApi({
    stepMs: Number(process.env.DOCUMENTS_STEP_MS ?? 20_000),
    rateLimitPerMinute: Number(process.env.DOCUMENTS_RATE_LIMIT_PER_MINUTE ?? 60),
  }).app,
);

if (process.env.COUNTRY_CONFIGURATION_JWT_SECRET) {
  app.use(
    '/country-configuration',
    createCountryConfiguration({
      jwtSecret: process.env.COUNTRY_CONFIGURATION_JWT_SECRET,
      capflowUrl: () => process.env.CAPFLOW_URL,
      ...(process.env.CAPFLOW_INTEGRATION_KEY ? { integrationKey: process.env.CAPFLOW_INTEGRATION_KEY } : {}),
      callbackDelayMs: Number(process.env.COUNTRY_CONFIGURATION_CALLBACK_DELAY_MS ?? 5_000),
    }).app,
  );
}

if (process.env.CALIBRATION_STAGING_DIR) {
  app.use('/executor', createProcessingExecutor({ stagingDir: process.env.CALIBRATION_STAGING_DIR }).app);
}

const server = app.listen(port, host, () => process.stdout.write(`simulators listening on http://${host}:${port} (proofing vendor: POST /proofing/resolution; documents API: /documents-api/…; country configuration: /country-configuration/registrations)\n`));
// Simulators hold nothing worth draining: stop at once, keep-alive connections included.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
