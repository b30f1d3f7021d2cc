import type { Pool } from 'pg';
import { listAwaitingQa } from '../../db/qa-reviews';
import { decodeCursor, encodeCursor } from '../cursor';

/** The reviewers' work list: requests awaiting QA, oldest announcement first. */
export async function listAwaitingQaPage(db: Pool, query: { capability?: string; limit: number; cursor?: string }) {
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  const rows = await listAwaitingQa(db, {
    limit: query.limit + 1,
    ...(query.capability ? { capability: query.capability } : {}),
    ...(after ? { after: { announcedAt: after.at, requestId: after.id } } : {}),
  });
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => ({
      id: r.requestId,
      capability: r.capability,
      version: r.version,
      announcedAt: r.announcedAt.toISOString(),
      links: { request: `/v1/requests/${r.requestId}`, decide: `/v1/requests/${r.requestId}/qa` },
    })),
    nextCursor: rows.length > query.limit && last ? encodeCursor(last.announcedAt, last.requestId) : null,
  };
}
