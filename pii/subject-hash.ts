import { createHmac } from 'node:crypto';

/**
 * A keyed hash naming a person for rate limits without naming them: the same identity always
 * gives the same value, and without the key the value reveals nothing (an SSN's small space
 * cannot be brute-forced back from it).
 */
export function subjectHash(key: string, identity: { ssn: string; dob: string; lastName: string }): string {
  const normalized = [identity.ssn.replace(/\D/g, ''), identity.dob, identity.lastName.trim().toLowerCase()].join('\n');
  return createHmac('sha256', key).update(normalized).digest('hex');
}
