import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import express, { type Express } from 'express';
import type { Pool } from 'pg';
import { pinoHttp } from 'pino-http';
import swaggerUi from 'swagger-ui-express';
import type { CapabilityCatalog } from '../capabilities/capability-catalog';
import { createSlotDispatcher } from '../capabilities/slot-dispatcher';
import { appVersion } from '../config/app-version';
import type { ApiKey } from '../config/env';
import type { Logger } from '../observability/logger';
import type { KeyRing } from '../pii/key-ring';
import { createKeyring } from './auth';
import { codecServer } from './codec-server';
import { documentUploadRoute } from './document-upload';
import { metricsRoute } from './metrics';
import { productDownloadRoute } from './products';
import { buildOpenApiDocument } from './openapi';
import { HttpProblem, problemMiddleware, problemTypes } from './problem';
import { buildRoutes } from './routes';
import { mountRoutes } from './routing';

export interface AppDeps {
  catalog: CapabilityCatalog;
  db: Pool;
  temporal: Client;
  taskQueue: string;
  apiKeys: readonly ApiKey[];
  webhookSigningKey: string;
  logger: Logger;
  /** Seals personal data at rest and backs the codec endpoint (the same keys as the worker's). */
  payloadKeys: KeyRing;
  /** Keys the hash that names a person for proofing attempt limits. */
  piiHashKey: string;
  proofing: { maxAttempts: number; attemptWindowMs: number };
  /** Browser origins allowed to use the codec endpoint (the Temporal Web UI). */
  codecCorsOrigins: readonly string[];
  /** Largest document accepted by a multipart upload. */
  documentMaxBytes: number;
  /** Where calibration products are staged for QA (read-only here). */
  stagingDir: string;
  /** How long QA decisions and cancels wait for a worker to apply them (default 15 s). */
  updateTimeoutMs?: number;
}

/** The HTTP app, without `listen`: tests drive it with supertest, `main.ts` serves it. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (req, res) => {
        const incoming = req.headers['x-request-id'];
        const id = typeof incoming === 'string' && /^[\w.-]{1,128}$/.test(incoming) ? incoming : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      // Probes would drown the log; everything else is logged with its request id.
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
      serializers: {
        req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    }),
  );
  app.use(express.json({ limit: '1mb', strict: false }));

  const routes = buildRoutes({ ...deps, slots: createSlotDispatcher({ db: deps.db, temporal: deps.temporal }) });
  const openApi = buildOpenApiDocument(routes, appVersion());
  app.get('/openapi.json', (_req, res) => {
    res.json(openApi);
  });
  app.use('/docs', swaggerUi.serve, swaggerUi.setup(openApi, { customSiteTitle: 'capflow API' }));
  const keyring = createKeyring(deps.apiKeys);
  app.get('/metrics', metricsRoute(deps.db));
  app.get('/v1/requests/:id/versions/:version/products/:name', productDownloadRoute({ db: deps.db, keyring, stagingDir: deps.stagingDir }));
  // Multipart uploads (document_upload) before the JSON routes; anything else passes through.
  app.post('/v1/requests', documentUploadRoute({ ...deps, keyring }));
  app.use('/codec', codecServer({ payloadKeys: deps.payloadKeys, keyring, allowedOrigins: deps.codecCorsOrigins, sessionSecret: deps.webhookSigningKey }));
  app.use(mountRoutes(routes, { keyring, db: deps.db }));

  app.use((req, _res, next) => {
    next(new HttpProblem(404, 'Not found', `no endpoint ${req.method} ${req.path}`, { type: problemTypes.notFound }));
  });
  app.use(problemMiddleware(deps.logger));
  return app;
}
