import { z } from 'zod';

// Messages name the rule, never the value: a rejected SSN must not come back in an error body or a log.
const personName = z
  .string()
  .trim()
  .min(1, 'is required')
  .max(60, 'at most 60 characters')
  .regex(/^[\p{L}][\p{L}' .-]*$/u, "letters, spaces, apostrophes, dots and hyphens only");

/** The identity a proofing vendor resolves. */
export const identityParameters = z.strictObject({
  firstName: personName,
  lastName: personName,
  dob: z.iso
    .date('must be a date, YYYY-MM-DD')
    .refine((d) => Date.parse(d) < Date.now(), 'must be in the past')
    .refine((d) => Date.parse(d) > Date.now() - 130 * 365.25 * 86_400_000, 'must be within the last 130 years'),
  ssn: z
    .string()
    .regex(/^(?!000|666|9\d\d)\d{3}-?(?!00)\d{2}-?(?!0000)\d{4}$/, 'must be a valid SSN, e.g. 123-45-6789')
    .transform((s) => s.replace(/-/g, '').replace(/^(\d{3})(\d{2})(\d{4})$/, '$1-$2-$3')),
  address: z.strictObject({
    street1: z.string().trim().min(1, 'is required').max(100, 'at most 100 characters'),
    street2: z.string().trim().max(100, 'at most 100 characters').optional(),
    city: z.string().trim().min(1, 'is required').max(60, 'at most 60 characters'),
    state: z.string().regex(/^[A-Z]{2}$/, 'must be a two-letter state code, e.g. VA'),
    zip: z.string().regex(/^\d{5}(-\d{4})?$/, 'must be a ZIP code, 12345 or 12345-6789'),
  }),
});
export type IdentityParameters = z.infer<typeof identityParameters>;

/** What a client says about a document it uploads (the `parameters` part of the multipart body). */
export const documentMetadata = z.strictObject({
  fileNumber: z.string().regex(/^\d{8,9}$/, 'must be the 8 or 9 digit file number'),
  docType: z.string().regex(/^[A-Z]\d{3}$/, 'must be a document type code, e.g. L023'),
});

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
  identity_proofing: identityParameters,
  calibration: z.strictObject({
    dataset: z.string().regex(/^[A-Za-z0-9._/-]{1,100}$/, 'must name a dataset, e.g. VLA/24A-123').describe('What to calibrate'),
    durationMs: z.int().min(100).max(3_600_000).optional().describe('How long the simulated job runs'),
    outcome: z.enum(['succeed', 'fail', 'hang', 'hang-first', 'corrupt']).optional().describe('For the simulator: how the job ends'),
  }),
  registration: z.strictObject({
    transactionId: z.string().regex(/^[A-Za-z0-9._:-]{8,100}$/, 'must be 8–100 letters, digits or . _ : -').describe('The client’s id for this registration: the same transaction is one registration'),
    registration: z.strictObject({
      childFirstName: z.string().trim().min(1, 'is required').max(100),
      childSurname: z.string().trim().min(1, 'is required').max(100),
      dateOfBirth: z.iso.date('must be a date, YYYY-MM-DD').refine((d) => Date.parse(d) <= Date.now(), 'must not be in the future'),
      placeOfBirth: z.string().trim().min(1, 'is required').max(200),
      informantId: z.string().trim().min(1, 'is required').max(100),
    }),
  }),
  document_upload: z.strictObject({
    ...documentMetadata.shape,
    // Set by the API from the uploaded file (stored in PostgreSQL, referenced by id).
    documentId: z.uuid(),
    fileName: z.string().min(1).max(255),
    contentType: z.string().min(1).max(255),
    size: z.int().positive(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  }),
};
