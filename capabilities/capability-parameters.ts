import { z } from 'zod';

/**
 * The parameters each capability accepts. Strict objects: an unknown field is a mistake the
 * client should hear about, not something silently dropped.
 */
export const capabilityParameterSchemas: Readonly<Record<string, z.ZodType<Record<string, unknown>>>> = {
  null: z.strictObject({
    durationMs: z.int().min(0).max(3_600_000).optional().describe('Pretend to work this long (benchmarks, queue tests)'),
    failUntil: z.iso.datetime({ offset: true }).optional().describe('Fail (without retrying) until this time: an outage an operator retries after'),
  }),
  null_qa: z.strictObject({}),
};
