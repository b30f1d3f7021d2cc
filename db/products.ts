import type { Pool } from 'pg';
import { inTransaction } from './pool';

export interface ProductRow {
  version: number;
  execution: number;
  jobId: string;
  name: string;
  size: number;
  sha256: string;
  path: string;
}

const columns = `version, execution, job_id AS "jobId", name, size::int AS size, sha256, path`;

/** Records an execution's staged products once (a retried step writes nothing twice). */
export async function stageProducts(db: Pool, key: { requestId: string; version: number; execution: number }, products: Omit<ProductRow, 'version' | 'execution'>[]): Promise<void> {
  await inTransaction(db, async (client) => {
    for (const p of products) {
      await client.query(
        `INSERT INTO staged_products (request_id, version, execution, job_id, name, size, sha256, path) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (request_id, version, execution, name) DO NOTHING`,
        [key.requestId, key.version, key.execution, p.jobId, p.name, p.size, p.sha256, p.path],
      );
    }
  });
}

/** The products a version has staged: those of its latest execution that staged any, still in place. */
export async function versionProducts(db: Pool, requestId: string, version: number): Promise<ProductRow[]> {
  const { rows } = await db.query<ProductRow>(
    `SELECT ${columns} FROM staged_products
     WHERE request_id = $1 AND version = $2 AND cleaned_at IS NULL
       AND execution = (SELECT max(execution) FROM staged_products WHERE request_id = $1 AND version = $2)
     ORDER BY name`,
    [requestId, version],
  );
  return rows;
}

/** Staged products of the request's other versions (to clean up once one version is ingested). */
export async function otherVersionsProducts(db: Pool, requestId: string, version: number): Promise<ProductRow[]> {
  const { rows } = await db.query<ProductRow>(`SELECT ${columns} FROM staged_products WHERE request_id = $1 AND version <> $2 AND cleaned_at IS NULL`, [requestId, version]);
  return rows;
}

export async function markCleaned(db: Pool, requestId: string, version: number): Promise<void> {
  await db.query(`UPDATE staged_products SET cleaned_at = now() WHERE request_id = $1 AND version = $2 AND cleaned_at IS NULL`, [requestId, version]);
}

export async function catalogue(db: Pool, entry: { requestId: string; version: number; name: string; sha256: string; size: number; archivePath: string }): Promise<void> {
  await db.query(
    `INSERT INTO archive_catalog (request_id, version, name, sha256, size, archive_path) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (request_id, version, name) DO NOTHING`,
    [entry.requestId, entry.version, entry.name, entry.sha256, entry.size, entry.archivePath],
  );
}

export async function archivedProducts(db: Pool, requestId: string): Promise<{ version: number; name: string; sha256: string; size: number; archivePath: string }[]> {
  const { rows } = await db.query(
    `SELECT version, name, sha256, size::int AS size, archive_path AS "archivePath" FROM archive_catalog WHERE request_id = $1 ORDER BY version, name`,
    [requestId],
  );
  return rows as { version: number; name: string; sha256: string; size: number; archivePath: string }[];
}
