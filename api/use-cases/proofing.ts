import type { Pool } from 'pg';
import type { IdentityParameters } from '../../capabilities/capability-parameters';
import { admitAttempt, findProofingResult, forgetAttempt } from '../../db/personal-data';
import { findRequest } from '../../db/requests';
import { openJson, type KeyRing } from '../../pii/key-ring';
import { subjectHash } from '../../pii/subject-hash';
import type { Principal } from '../auth';
import { HttpProblem, notFound, problemTypes } from '../problem';

export interface ProofingApiDeps {
  db: Pool;
  payloadKeys: KeyRing;
  piiHashKey: string;
  proofing: { maxAttempts: number; attemptWindowMs: number };
}

/**
 * At most N attempts per person per window, counted by a keyed hash of the identity. Returns a
 * function that takes the attempt back if the request could not be started after all.
 */
export async function admitProofingAttempt(deps: ProofingApiDeps, requestId: string, identity: IdentityParameters): Promise<() => Promise<void>> {
  const subject = subjectHash(deps.piiHashKey, identity);
  const outcome = await admitAttempt(deps.db, { subjectHash: subject, requestId, limit: deps.proofing.maxAttempts, windowMs: deps.proofing.attemptWindowMs });
  if (!outcome.admitted) {
    const seconds = Math.max(1, Math.ceil((outcome.retryAt.getTime() - Date.now()) / 1000));
    throw new HttpProblem(429, 'Too many attempts', `at most ${deps.proofing.maxAttempts} proofing attempts per person per ${deps.proofing.attemptWindowMs / 3_600_000} h; try again in ${seconds} s`, {
      type: problemTypes.tooManyAttempts,
      headers: { 'Retry-After': String(seconds) },
    });
  }
  return () => forgetAttempt(deps.db, subject, requestId);
}

export type ProofingStatus = 'none' | 'in_progress' | 'done' | 'missing';

/**
 * The client's view, as the source intends: `none` (accepted, not started yet), `in_progress`,
 * `done` with the vendor's result, or `missing` — the attempt expired, was discarded, or the vendor
 * never answered; the client may submit again.
 */
export async function getProofingStatus(deps: ProofingApiDeps, id: string, principal: Principal) {
  const request = await findRequest(deps.db, id);
  if (!request || request.capability !== 'identity_proofing') throw notFound(`identity_proofing request ${id} does not exist`);
  if (principal.role !== 'operator' && request.submittedBy !== principal.id) {
    throw new HttpProblem(403, 'Forbidden', 'only the submitter of a request or an operator may read its proofing status', { type: problemTypes.forbidden });
  }
  const status = (s: ProofingStatus, extra: Record<string, unknown> = {}) => ({ id, status: s, ...extra });
  switch (request.state) {
    case 'Start':
      return status('none');
    case 'Queued':
    case 'Executing':
      return status('in_progress');
    case 'Complete': {
      const sealed = await findProofingResult(deps.db, id);
      return sealed ? status('done', { result: openJson(deps.payloadKeys, sealed) as Record<string, unknown> }) : status('missing', { reason: 'the result has expired' });
    }
    default:
      return status('missing', { reason: request.state === 'Cancelled' ? 'the attempt was cancelled' : 'the attempt was discarded or the vendor did not answer' });
  }
}
