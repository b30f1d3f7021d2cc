import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Pool } from 'pg';
import type { IdentityParameters } from '../capabilities/capability-parameters';
import { storeProofingResult } from '../db/personal-data';
import { sealJson, type KeyRing } from '../pii/key-ring';

export interface ProofingDeps {
  db: Pool;
  payloadKeys: KeyRing;
  vendorUrl: string | undefined;
  callTimeoutMs: number;
  deadlineMs: number;
  staleAfterMs: number;
  resultTtlMs: number;
  fetch?: typeof fetch;
}

/** What the step reports back (no personal data; the full result is stored sealed). */
export interface ProofingOutcome {
  success: boolean;
  timedOut: boolean;
}

/**
 * Proofs an identity with the vendor. A decline is a result, not an error; 5xx and timeouts are
 * retried (by Temporal, with backoff) until the deadline; a job that could not start in time is
 * discarded rather than run late. Error messages never carry the identity or the vendor's body.
 */
export async function proofIdentity(deps: ProofingDeps, input: { requestId: string; queuedSince: string; parameters: Record<string, unknown> }): Promise<ProofingOutcome> {
  const info = Context.current().info;
  if (info.attempt === 1 && Date.now() - Date.parse(input.queuedSince) > deps.staleAfterMs) {
    throw ApplicationFailure.create({ type: 'ProofingDiscarded', message: `not started within ${deps.staleAfterMs / 1000} s of submission: discarded`, nonRetryable: true });
  }
  if (Date.now() - info.scheduledTimestampMs > deps.deadlineMs) {
    throw ApplicationFailure.create({ type: 'VendorUnavailable', message: `the proofing vendor did not answer within ${deps.deadlineMs / 1000} s`, nonRetryable: true });
  }
  if (!deps.vendorUrl) throw ApplicationFailure.create({ type: 'VendorNotConfigured', message: 'PROOFING_VENDOR_URL is not set', nonRetryable: true });

  const identity = input.parameters as unknown as IdentityParameters;
  let res: Response;
  try {
    res = await (deps.fetch ?? fetch)(`${deps.vendorUrl}/resolution`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        first_name: identity.firstName,
        last_name: identity.lastName,
        dob: identity.dob,
        ssn: identity.ssn,
        address1: identity.address.street1,
        address2: identity.address.street2 ?? '',
        city: identity.address.city,
        state: identity.address.state,
        zipcode: identity.address.zip,
      }),
      signal: AbortSignal.any([AbortSignal.timeout(deps.callTimeoutMs), Context.current().cancellationSignal]),
    });
  } catch (err) {
    const timedOut = (err as Error).name === 'TimeoutError';
    throw new Error(timedOut ? `the proofing vendor did not answer within ${deps.callTimeoutMs} ms` : 'the proofing vendor could not be reached');
  }
  if (res.status >= 500 || res.status === 429 || res.status === 408) throw new Error(`the proofing vendor answered HTTP ${res.status}`);
  if (!res.ok) throw ApplicationFailure.create({ type: 'VendorRejected', message: `the proofing vendor refused the request (HTTP ${res.status})`, nonRetryable: true });

  const result = (await res.json()) as Record<string, unknown>;
  await storeProofingResult(deps.db, input.requestId, sealJson(deps.payloadKeys, result), new Date(Date.now() + deps.resultTtlMs));
  return { success: result.success === true, timedOut: result.timed_out === true };
}
