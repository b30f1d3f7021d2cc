import express, { type Express } from 'express';

/**
 * A resolution-proofing vendor, speaking the vendor's result shape:
 * `{success, errors, exception, timed_out, transaction_id, reference, reason_codes, vendor_name,
 *   stages: {resolution, residential_address}}`.
 *
 * Deterministic test identities, chosen by last name (case-insensitive):
 * | last name     | answer |
 * |---------------|--------|
 * | `Fail`        | 200, success false, `reason_codes` and field `errors` (a decline: a result, not an error) |
 * | `Timeout`     | 200, success false, `timed_out` true: the residential-address stage timed out |
 * | `Unavailable` | 503 every time |
 * | `Flaky`       | 503 on the first call for that SSN, then a pass |
 * | `Slow`        | a pass, after `slowMs` (default 10 s: longer than capflow's call timeout) |
 * | anything else | 200, success true |
 * `latencyMs` delays every answer; `failureRate` (0..1) answers 503 at random.
 */
export interface ProofingVendorOptions {
  latencyMs?: number;
  failureRate?: number;
  slowMs?: number;
}

export interface ProofingVendor {
  app: Express;
  /** Calls received per SSN (for tests: how often capflow asked). */
  callsFor(ssn: string): number;
  /** Every request body received, as received (tests check what capflow sent). */
  received: Record<string, unknown>[];
}

export function createProofingVendor(options: ProofingVendorOptions = {}): ProofingVendor {
  const app = express();
  app.use(express.json());
  const calls = new Map<string, number>();
  const received: Record<string, unknown>[] = [];
  let transactions = 0;

  app.post('/resolution', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, string | undefined>;
    received.push(body);
    const ssn = String(body.ssn ?? '');
    const call = (calls.get(ssn) ?? 0) + 1;
    calls.set(ssn, call);
    const lastName = String(body.last_name ?? '').toLowerCase();
    const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
    await wait(options.latencyMs ?? 0);

    if (lastName === 'unavailable' || (lastName === 'flaky' && call === 1) || Math.random() < (options.failureRate ?? 0)) {
      res.status(503).json({ error: 'vendor temporarily unavailable' });
      return;
    }
    if (lastName === 'slow') await wait(options.slowMs ?? 10_000);

    transactions += 1;
    const base = { transaction_id: `sim-${transactions}`, reference: `ref-${transactions}`, vendor_name: 'ResolutionSim', exception: null };
    const stage = (success: boolean, extra: Record<string, unknown> = {}) => ({ success, errors: {}, timed_out: false, ...extra });
    if (lastName === 'fail') {
      res.json({
        ...base,
        success: false,
        timed_out: false,
        errors: { ssn: ['does not match the name and date of birth'] },
        reason_codes: { 'R-SSN-MISMATCH': 'SSN does not match identity' },
        stages: { resolution: stage(false, { errors: { ssn: ['mismatch'] } }), residential_address: stage(true) },
      });
      return;
    }
    if (lastName === 'timeout') {
      res.json({
        ...base,
        success: false,
        timed_out: true,
        exception: 'residential_address: vendor timed out',
        errors: {},
        reason_codes: {},
        stages: { resolution: stage(true), residential_address: stage(false, { timed_out: true, exception: 'timed out' }) },
      });
      return;
    }
    res.json({ ...base, success: true, timed_out: false, errors: {}, reason_codes: {}, stages: { resolution: stage(true), residential_address: stage(true) } });
  });

  return { app, callsFor: (ssn) => calls.get(ssn) ?? 0, received };
}
