import { z } from 'zod';
import { parseKeyRing } from '../pii/key-ring';

/**
 * Configuration is read from the environment once at start-up and checked as a whole, so a
 * deployment with three mistakes hears about all three at once.
 */

export const roles = ['submitter', 'reviewer', 'operator', 'integration'] as const;
export type Role = (typeof roles)[number];

export interface ApiKey {
  role: Role;
  key: string;
}

/** `API_KEYS=submitter:k1,reviewer:k2` — one `role:key` pair per entry, keys at least 16 characters. */
const apiKeysSchema = z.string().transform((value, ctx): ApiKey[] => {
  const keys: ApiKey[] = [];
  for (const [index, entry] of value.split(',').map((s) => s.trim()).filter(Boolean).entries()) {
    const separator = entry.indexOf(':');
    const role = entry.slice(0, separator);
    const key = entry.slice(separator + 1);
    if (separator < 0 || !(roles as readonly string[]).includes(role)) {
      ctx.addIssue({ code: 'custom', message: `entry ${index + 1} must be "<role>:<key>" with role one of ${roles.join(', ')}` });
    } else if (key.length < 16) {
      ctx.addIssue({ code: 'custom', message: `entry ${index + 1} (${role}): key must be at least 16 characters` });
    } else {
      keys.push({ role: role as Role, key });
    }
  }
  if (keys.length === 0 && value.trim() === '') ctx.addIssue({ code: 'custom', message: 'at least one key is required' });
  return keys;
});

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');
export const postgresUrl = z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL');
const hostPort = z.string().regex(/^[^\s:]+:\d+$/, 'must be host:port');

const temporalVariables = {
  TEMPORAL_ADDRESS: hostPort.default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('capflow'),
};

/** `PAYLOAD_KEYS=kid:<base64 32 bytes>,…`: encrypts Temporal payloads and personal data at rest; the last key is current. */
const payloadKeys = z.string().transform((value, ctx) => {
  try {
    return parseKeyRing(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

/** Identity proofing: the vendor and how long results and personal data are kept. */
const proofingVariables = {
  /** How long a proofing result (and the submitted identity) is kept once the request has ended. */
  PROOFING_RESULT_TTL_MS: z.coerce.number().int().positive().default(600_000),
  /** Attempts are counted per person over this window (and their records kept as long). */
  PROOFING_ATTEMPT_WINDOW_MS: z.coerce.number().int().positive().default(6 * 60 * 60 * 1000),
};

/** Where calibration jobs stage their products for QA (shared with the executor; the API serves them). */
const productVariables = {
  CALIBRATION_STAGING_DIR: z.string().min(1).default('/var/lib/capflow/staging'),
};

/** Signs callback events; each API key's webhook secret is derived from it. */
const webhookSigningKey = z.string().min(32, 'must be at least 32 characters');

export const DEFAULT_MAX_CACHED_WORKFLOWS = 1_000;

export const workerEnvSchema = z.object({
  ...temporalVariables,
  DATABASE_URL: postgresUrl,
  LOG_LEVEL: logLevel,
  WEBHOOK_SIGNING_KEY: webhookSigningKey,
  /** `smtp://user:pass@host:587`; unset = notifications are recorded in the outbox only. */
  SMTP_URL: z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL').optional(),
  MAIL_FROM: z.string().min(3).default('capflow <capflow@localhost>'),
  /** How long a stopping worker lets running activities finish before it cancels them. */
  WORKER_SHUTDOWN_GRACE_MS: z.coerce.number().int().nonnegative().default(10_000),
  /**
   * Workflows kept in memory between their tasks. A request waiting days for QA need not be: it
   * replays its short history when it is next needed. Bounds the worker's memory (BENCHMARKS.md).
   */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(2).default(DEFAULT_MAX_CACHED_WORKFLOWS),
  PAYLOAD_KEYS: payloadKeys,
  ...proofingVariables,
  /** The proofing vendor (the simulator locally); unset = identity_proofing requests fail saying so. */
  PROOFING_VENDOR_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** One call to the vendor may take this long. */
  PROOFING_CALL_TIMEOUT_MS: z.coerce.number().int().positive().default(5_000),
  /** Timeouts and 5xx are retried with backoff until this long after the first call. */
  PROOFING_DEADLINE_MS: z.coerce.number().int().positive().default(60_000),
  /** A job that could not start within this long of its submission is discarded, not run late. */
  PROOFING_STALE_AFTER_MS: z.coerce.number().int().positive().default(300_000),
  /** The benefits documents API (the simulator locally); unset = no poller, document_upload fails saying so. */
  DOCUMENTS_API_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** How often the status poller runs (a Temporal Schedule), and how recently polled documents are skipped. */
  DOCUMENT_POLL_INTERVAL_MS: z.coerce.number().int().min(1_000).default(3_600_000),
  DOCUMENT_POLLING_WINDOW_MS: z.coerce.number().int().min(0).default(3_600_000),
  /** Stay under the status endpoint's rate limit. */
  DOCUMENT_STATUS_CALLS_PER_MINUTE: z.coerce.number().int().positive().default(60),
  /** A document still processing this long after it started is a processing timeout. */
  DOCUMENT_PROCESSING_TIMEOUT_MS: z.coerce.number().int().positive().default(24 * 3_600_000),
  /** The country configuration (the simulator locally), and the secret its service credentials are signed with. */
  COUNTRY_CONFIGURATION_URL: z.url({ protocol: /^https?$/ }).optional(),
  COUNTRY_CONFIGURATION_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  REGISTRATION_CALL_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  /** The processing executor (the simulator locally) and the archive that passed products are ingested into. */
  PROCESSING_EXECUTOR_URL: z.url({ protocol: /^https?$/ }).optional(),
  ...productVariables,
  ARCHIVE_DIR: z.string().min(1).default('/var/lib/capflow/archive'),
});

export const apiEnvSchema = z.object({
  ...temporalVariables,
  DATABASE_URL: postgresUrl,
  LOG_LEVEL: logLevel,
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  API_KEYS: apiKeysSchema,
  WEBHOOK_SIGNING_KEY: webhookSigningKey,
  PAYLOAD_KEYS: payloadKeys,
  /** Keys the hash that names a person for attempt limits (never the identity itself). */
  PII_HASH_KEY: z.string().min(32, 'must be at least 32 characters'),
  ...proofingVariables,
  /** At most this many proofing attempts per person per window. */
  PROOFING_MAX_ATTEMPTS: z.coerce.number().int().positive().default(5),
  ...productVariables,
  /** Largest document accepted for upload (413 above). */
  DOCUMENT_MAX_BYTES: z.coerce.number().int().positive().default(10 * 1024 * 1024),
  /** Origins allowed to call the codec endpoint from a browser (the Temporal Web UI). */
  CODEC_CORS_ORIGINS: z
    .string()
    .default('http://localhost:8233,http://127.0.0.1:8233')
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean)),
});

export type WorkerConfig = z.infer<typeof workerEnvSchema>;
export type ApiConfig = z.infer<typeof apiEnvSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  // Empty strings count as unset, as docker-compose writes `VAR=` for "no value".
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(present);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => ({
      variable: issue.path.map(String).join('.') || '(environment)',
      message: issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message,
    })),
  );
}

/** For process entry points: print every bad variable and exit non-zero. */
export function loadEnvOrExit<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  try {
    return parseEnv(schema, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
}
