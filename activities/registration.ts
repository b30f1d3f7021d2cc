import { createHmac, randomUUID } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Pool } from 'pg';
import { markWaiting, settleRegistration, type RegistrationRow } from '../db/registrations';

export interface RegistrationDeps {
  db: Pool;
  countryConfigurationUrl: string | undefined;
  /** Signs the short-lived service credentials (HS256) the country configuration checks. */
  jwtSecret: string | undefined;
  callTimeoutMs: number;
  fetch?: typeof fetch;
}

/** A credential for one call: audience the country configuration, subject the initiating user, one minute. */
export function mintServiceCredential(secret: string, subject: string, now = Date.now()): string {
  const encode = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({ iss: 'capflow', aud: 'country-configuration', sub: subject, iat: Math.floor(now / 1000), exp: Math.floor(now / 1000) + 60, jti: randomUUID() })}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

const outcomeOf = (row: RegistrationRow) => {
  if (row.state === 'confirmed') return { details: { registrationNumber: row.registrationNumber, identifiers: row.identifiers } };
  if (row.state === 'rejected') {
    throw ApplicationFailure.create({ type: 'RegistrationRejected', message: `the country configuration rejected the registration: ${row.reason}`, nonRetryable: true });
  }
  return undefined;
};

/**
 * Sends a registration to the country configuration under its client transaction id. 200 and
 * 400 settle it at once; 202 hands it off until the confirm or reject callback. The transaction id
 * makes a repeated call (a retry after a crash, an operator retry) the same registration, and an
 * outcome already stored (a callback that came early) is used without calling again.
 */
export async function submitRegistration(deps: RegistrationDeps, input: { requestId: string; parameters: Record<string, unknown> }): Promise<object> {
  const transactionId = String(input.parameters.transactionId);
  const workflowId = Context.current().info.workflowExecution!.workflowId;
  const row = await markWaiting(deps.db, transactionId, workflowId);
  if (!row) throw ApplicationFailure.create({ type: 'RegistrationMissing', message: `no registration for transaction ${transactionId}`, nonRetryable: true });
  const settled = outcomeOf(row);
  if (settled) return settled;
  if (!deps.countryConfigurationUrl || !deps.jwtSecret) {
    throw ApplicationFailure.create({ type: 'CountryConfigurationNotConfigured', message: 'COUNTRY_CONFIGURATION_URL or COUNTRY_CONFIGURATION_JWT_SECRET is not set', nonRetryable: true });
  }

  const res = await (deps.fetch ?? fetch)(`${deps.countryConfigurationUrl}/registrations`, {
    method: 'POST',
    // The user's id travels in a credential minted for this call; no user token is ever stored.
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${mintServiceCredential(deps.jwtSecret, row.initiatedBy)}` },
    body: JSON.stringify({ transactionId, registration: input.parameters.registration }),
    signal: AbortSignal.timeout(deps.callTimeoutMs),
  }).catch((err: unknown) => {
    throw new Error((err as Error).name === 'TimeoutError' ? 'the country configuration did not answer in time' : 'the country configuration could not be reached');
  });
  const body = (await res.json().catch(() => ({}))) as { registrationNumber?: string; reason?: string };
  if (res.status === 200 && body.registrationNumber) {
    const { row: now } = await settleRegistration(deps.db, transactionId, { kind: 'confirmed', registrationNumber: body.registrationNumber, identifiers: [], comment: null, by: 'country-configuration' });
    return outcomeOf(now!) ?? {};
  }
  if (res.status === 400) {
    const { row: now } = await settleRegistration(deps.db, transactionId, { kind: 'rejected', reason: body.reason ?? 'no reason given', comment: null, by: 'country-configuration' });
    return outcomeOf(now!) ?? {};
  }
  if (res.status === 202) {
    // The callback may already have come while this call was being answered.
    const latest = await markWaiting(deps.db, transactionId, workflowId);
    return (latest && outcomeOf(latest)) ?? { handedOff: true };
  }
  if (res.status === 401 || res.status === 403) {
    throw ApplicationFailure.create({ type: 'CredentialRefused', message: `the country configuration refused capflow's credential (HTTP ${res.status})`, nonRetryable: true });
  }
  throw new Error(`the country configuration answered HTTP ${res.status}`);
}
