import type { ErrorRequestHandler } from 'express';
import type { z } from 'zod';
import { isDatabaseUnavailable } from '../db/pool';
import type { Logger } from '../observability/logger';
import { isTemporalUnavailable } from './temporal-errors';

export interface FieldError {
  /** Dotted path of the offending field, e.g. `parameters.name`; `body` for the whole body. */
  field: string;
  message: string;
}

/**
 * An RFC 9457 problem. Use cases throw these; one middleware renders them, so routes never
 * build error responses by hand.
 */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly extras: { errors?: FieldError[]; headers?: Record<string, string>; type?: string } = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
  }
}

export const problemTypes = {
  validation: 'https://capflow.dev/problems/validation',
  malformedJson: 'https://capflow.dev/problems/malformed-json',
  unsupportedMediaType: 'https://capflow.dev/problems/unsupported-media-type',
  notFound: 'https://capflow.dev/problems/not-found',
  unauthorized: 'https://capflow.dev/problems/unauthorized',
  forbidden: 'https://capflow.dev/problems/forbidden',
  conflict: 'https://capflow.dev/problems/conflict',
  idempotencyMismatch: 'https://capflow.dev/problems/idempotency-key-reused',
  tooManyAttempts: 'https://capflow.dev/problems/too-many-attempts',
  unavailable: 'https://capflow.dev/problems/dependency-unavailable',
  internal: 'https://capflow.dev/problems/internal',
} as const;

export function validationProblem(issues: z.core.$ZodIssue[], prefix?: string): HttpProblem {
  const field = (path: PropertyKey[]) => [prefix, ...path.map(String)].filter(Boolean).join('.') || 'body';
  const errors = issues.flatMap((issue) =>
    // Name each unknown field itself, not the object that holds it.
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ field: field([...issue.path, key]), message: 'unknown field' }))
      : [{ field: field(issue.path), message: issue.message }],
  );
  return new HttpProblem(422, 'Request is invalid', errors.map((e) => `${e.field}: ${e.message}`).join('; '), {
    type: problemTypes.validation,
    errors,
  });
}

export const notFound = (detail: string, field?: string) =>
  new HttpProblem(404, 'Not found', detail, { type: problemTypes.notFound, ...(field ? { errors: [{ field, message: detail }] } : {}) });

export const serviceUnavailable = (dependency: 'temporal' | 'database', retryAfterSeconds = 5) =>
  new HttpProblem(503, 'Service unavailable', `${dependency} is unreachable; nothing was changed, retry later`, {
    type: problemTypes.unavailable,
    headers: { 'Retry-After': String(retryAfterSeconds) },
  });

export function problemBody(problem: HttpProblem, instance: string, requestId: unknown) {
  return {
    type: problem.extras.type ?? 'about:blank',
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    instance,
    requestId: String(requestId),
    ...(problem.extras.errors ? { errors: problem.extras.errors } : {}),
  };
}

/** The single place where errors become responses. Unknown errors are logged and answered 500. */
export function problemMiddleware(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    let problem: HttpProblem;
    if (err instanceof HttpProblem) {
      problem = err;
    } else if (isBodyParserError(err) && err.type === 'entity.parse.failed') {
      problem = new HttpProblem(400, 'Malformed JSON', `the request body is not valid JSON: ${err.message}`, {
        type: problemTypes.malformedJson,
        errors: [{ field: 'body', message: 'not valid JSON' }],
      });
    } else if (isBodyParserError(err) && err.type === 'entity.too.large') {
      problem = new HttpProblem(413, 'Payload too large', 'the request body is larger than allowed', {
        errors: [{ field: 'body', message: 'too large' }],
      });
    } else if (isDatabaseUnavailable(err)) {
      problem = serviceUnavailable('database');
    } else if (isTemporalUnavailable(err)) {
      problem = serviceUnavailable('temporal');
    } else {
      (req.log ?? logger).error({ err }, 'unhandled error');
      problem = new HttpProblem(500, 'Internal error', 'an unexpected error occurred; it has been logged', { type: problemTypes.internal });
    }
    for (const [name, value] of Object.entries(problem.extras.headers ?? {})) res.setHeader(name, value);
    res.status(problem.status).type('application/problem+json').send(JSON.stringify(problemBody(problem, req.originalUrl, req.id)));
  };
}

function isBodyParserError(err: unknown): err is Error & { type: string } {
  return err instanceof Error && typeof (err as { type?: unknown }).type === 'string';
}
