import { createReadStream, existsSync } from 'node:fs';
import path from 'node:path';
import type { RequestHandler } from 'express';
import type { Pool } from 'pg';
import { versionProducts } from '../db/products';
import { findRequest } from '../db/requests';
import { requireRole, type Keyring } from './auth';
import { notFound } from './problem';

/** The products a version staged for QA, as a reviewer sees them before deciding. */
export async function listVersionProducts(db: Pool, id: string, version: number) {
  if (!(await findRequest(db, id))) throw notFound(`request ${id} does not exist`);
  const products = await versionProducts(db, id, version);
  return {
    id,
    version,
    execution: products[0]?.execution ?? null,
    products: products.map((p) => ({
      name: p.name,
      size: p.size,
      sha256: p.sha256,
      links: { download: `/v1/requests/${id}/versions/${version}/products/${encodeURIComponent(p.name)}` },
    })),
  };
}

/** `GET /v1/requests/:id/versions/:version/products/:name`: the staged file itself. */
export function productDownloadRoute(deps: { db: Pool; keyring: Keyring; stagingDir: string }): RequestHandler {
  return async (req, res, next) => {
    try {
      requireRole(deps.keyring.authenticate(req.headers.authorization), ['submitter', 'reviewer', 'operator']);
      const version = Number(req.params.version);
      const product = (await versionProducts(deps.db, String(req.params.id), version)).find((p) => p.name === req.params.name);
      const file = product ? path.join(deps.stagingDir, product.path) : undefined;
      if (!product || !file || !existsSync(file)) throw notFound(`no staged product "${String(req.params.name)}" for version ${version} of request ${String(req.params.id)}`);
      res.setHeader('Content-Type', 'application/octet-stream');
      res.setHeader('Content-Length', String(product.size));
      res.setHeader('Content-Disposition', `attachment; filename="${product.name.replace(/"/g, '')}"`);
      res.setHeader('Digest', `sha-256=${Buffer.from(product.sha256, 'hex').toString('base64')}`);
      createReadStream(file).pipe(res);
    } catch (err) {
      next(err);
    }
  };
}
