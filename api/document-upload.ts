import { createHash } from 'node:crypto';
import Busboy from 'busboy';
import type { Request, RequestHandler } from 'express';
import { documentMetadata } from '../capabilities/capability-parameters';
import { storeBlob } from '../db/documents';
import { isDatabaseUnavailable } from '../db/pool';
import { requireRole, type Keyring } from './auth';
import { HttpProblem, problemTypes, serviceUnavailable, validationProblem } from './problem';
import { requestIdFor, submitRequest, type SubmitDeps } from './use-cases/submit-request';

interface Upload {
  fields: Record<string, string>;
  file?: { name: string; contentType: string; bytes: Buffer };
}

const invalid = (field: string, message: string) =>
  new HttpProblem(422, 'Request is invalid', `${field}: ${message}`, { type: problemTypes.validation, errors: [{ field, message }] });

/**
 * `POST /v1/requests` as multipart/form-data, for `document_upload`: a `capability` field, a
 * `parameters` JSON part (`{"fileNumber","docType"}`) and a `file` part. The file is stored in
 * PostgreSQL under the request's id and referenced from the workflow by id: its bytes never enter
 * Temporal. JSON bodies go on to the regular route.
 */
export function documentUploadRoute(deps: SubmitDeps & { keyring: Keyring; documentMaxBytes: number }): RequestHandler {
  return async (req, res, next) => {
    if (!req.is('multipart/form-data')) {
      next();
      return;
    }
    try {
      const principal = deps.keyring.authenticate(req.headers.authorization);
      requireRole(principal, ['submitter', 'operator']);
      const upload = await readUpload(req, deps.documentMaxBytes);
      if ((upload.fields.capability ?? 'document_upload') !== 'document_upload') throw invalid('capability', 'multipart bodies are for document_upload only');
      let metadata: unknown;
      try {
        metadata = JSON.parse(upload.fields.parameters ?? '{}');
      } catch {
        throw invalid('parameters', 'must be JSON');
      }
      const parsed = documentMetadata.safeParse(metadata);
      if (!parsed.success) throw validationProblem(parsed.error.issues, 'parameters');
      if (!upload.file || upload.file.bytes.length === 0) throw invalid('file', 'a non-empty "file" part is required');

      const idempotencyKey = req.header('Idempotency-Key') ?? undefined;
      const requestId = requestIdFor(principal, idempotencyKey);
      const sha256 = createHash('sha256').update(upload.file.bytes).digest('hex');
      const document = { id: requestId, fileName: upload.file.name, contentType: upload.file.contentType, size: upload.file.bytes.length, sha256 };
      await storeBlob(deps.db, { ...document, requestId, bytes: upload.file.bytes }).catch((err: unknown) => {
        throw isDatabaseUnavailable(err) ? serviceUnavailable('database') : err;
      });
      const submitted = await submitRequest(deps, {
        capability: 'document_upload',
        parameters: { ...parsed.data, documentId: document.id, fileName: document.fileName, contentType: document.contentType, size: document.size, sha256 },
        principal,
        requestId,
        ...(idempotencyKey ? { idempotencyKey } : {}),
        ...(upload.fields.callbackUrl ? { callbackUrl: upload.fields.callbackUrl } : {}),
      });
      res.status(202).location(submitted.links.self).json(submitted);
    } catch (err) {
      next(err);
    }
  };
}

function readUpload(req: Request, maxBytes: number): Promise<Upload> {
  return new Promise((resolve, reject) => {
    const upload: Upload = { fields: {} };
    let tooLarge = false;
    let bb: Busboy.Busboy;
    try {
      bb = Busboy({ headers: req.headers, limits: { fileSize: maxBytes, files: 1, fields: 10, fieldSize: 64 * 1024 } });
    } catch {
      reject(new HttpProblem(400, 'Bad request', 'the multipart body could not be read', { type: problemTypes.malformedJson }));
      return;
    }
    bb.on('field', (name, value) => {
      upload.fields[name] = value;
    });
    bb.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => {
        tooLarge = true;
      });
      stream.on('end', () => {
        if (name === 'file') upload.file = { name: info.filename ?? 'document', contentType: info.mimeType, bytes: Buffer.concat(chunks) };
      });
    });
    bb.on('close', () => {
      if (tooLarge) reject(new HttpProblem(413, 'Payload too large', `the file is larger than ${maxBytes} bytes`, { type: problemTypes.validation, errors: [{ field: 'file', message: `at most ${maxBytes} bytes` }] }));
      else resolve(upload);
    });
    bb.on('error', () => reject(new HttpProblem(400, 'Bad request', 'the multipart body could not be read', { type: problemTypes.malformedJson })));
    req.pipe(bb);
  });
}
