import type { Pool } from 'pg';
import { findRequest, listRequests, listTransitions, type RequestRow } from '../../db/requests';
import { notFound, validationProblem } from '../problem';

export async function getRequest(db: Pool, id: string) {
  const row = await findRequest(db, id);
  if (!row) throw notFound(`request ${id} does not exist`);
  const transitions = await listTransitions(db, id);
  return {
    ...summary(row),
    parameters: row.parameters,
    transitions: transitions.map((t) => ({ ...t, occurredAt: t.occurredAt.toISOString() })),
  };
}

export async function listRequestPage(db: Pool, query: { capability?: string; state?: string; limit: number; cursor?: string }) {
  const before = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  // One extra row tells whether another page exists.
  const rows = await listRequests(db, {
    limit: query.limit + 1,
    ...(query.capability ? { capability: query.capability } : {}),
    ...(query.state ? { state: query.state } : {}),
    ...(before ? { before } : {}),
  });
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return {
    items: page.map(summary),
    nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null,
  };
}

function summary(row: RequestRow) {
  return {
    id: row.id,
    workflowId: row.workflowId,
    capability: row.capability,
    state: row.state,
    submittedBy: row.submittedBy,
    submittedAt: row.submittedAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function encodeCursor(row: RequestRow): string {
  return Buffer.from(JSON.stringify([row.submittedAt.toISOString(), row.id])).toString('base64url');
}

function decodeCursor(cursor: string): { submittedAt: Date; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const submittedAt = new Date(at);
    if (Number.isNaN(submittedAt.getTime()) || !/^[0-9a-f-]{36}$/.test(id)) throw new Error('bad cursor');
    return { submittedAt, id };
  } catch {
    throw validationProblem([{ code: 'custom', path: ['cursor'], message: 'not a cursor returned by this API', input: cursor }], 'query');
  }
}
