import type { Pool } from 'pg';

export interface QaReviewRow {
  requestId: string;
  version: number;
  capability: string;
  announcedAt: Date;
  decision: 'pass' | 'fail' | null;
  reviewer: string | null;
  comment: string | null;
  decidedAt: Date | null;
}

const columns = (t: string) =>
  `${t}.request_id AS "requestId", ${t}.version, ${t}.capability, ${t}.announced_at AS "announcedAt", ${t}.decision, ${t}.reviewer, ${t}.comment, ${t}.decided_at AS "decidedAt"`;

/** Idempotent: a retried AnnounceQa keeps the first announcement time. */
export async function announceQaReview(db: Pool, review: { requestId: string; version: number; capability: string; announcedAt: Date }): Promise<void> {
  await db.query(
    `INSERT INTO qa_reviews (request_id, version, capability, announced_at) VALUES ($1, $2, $3, $4) ON CONFLICT (request_id, version) DO NOTHING`,
    [review.requestId, review.version, review.capability, review.announcedAt],
  );
}

/** Idempotent: the first decision recorded stands; a retry of the same activity changes nothing. */
export async function decideQaReview(
  db: Pool,
  decision: { requestId: string; version: number; decision: 'pass' | 'fail'; reviewer: string; comment: string | null; decidedAt: Date },
): Promise<void> {
  await db.query(
    `UPDATE qa_reviews SET decision = $3, reviewer = $4, comment = $5, decided_at = $6
     WHERE request_id = $1 AND version = $2 AND decision IS NULL`,
    [decision.requestId, decision.version, decision.decision, decision.reviewer, decision.comment, decision.decidedAt],
  );
}

export async function listQaReviews(db: Pool, requestId: string): Promise<QaReviewRow[]> {
  const { rows } = await db.query<QaReviewRow>(`SELECT ${columns('q')} FROM qa_reviews q WHERE q.request_id = $1 ORDER BY q.version`, [requestId]);
  return rows;
}

/** Versions awaiting a QA decision, oldest announcement first. */
export async function listAwaitingQa(
  db: Pool,
  filter: { capability?: string; limit: number; after?: { announcedAt: Date; requestId: string } },
): Promise<QaReviewRow[]> {
  // The version's own state: one version may await QA while a newer one still runs.
  const where = ['q.decision IS NULL', `v.state = 'AwaitingQa'`];
  const params: unknown[] = [];
  if (filter.capability) {
    params.push(filter.capability);
    where.push(`q.capability = $${params.length}`);
  }
  if (filter.after) {
    params.push(filter.after.announcedAt, filter.after.requestId);
    where.push(`(q.announced_at, q.request_id) > ($${params.length - 1}, $${params.length})`);
  }
  params.push(filter.limit);
  const { rows } = await db.query<QaReviewRow>(
    `SELECT ${columns('q')} FROM qa_reviews q JOIN request_versions v ON v.request_id = q.request_id AND v.version = q.version
     WHERE ${where.join(' AND ')} ORDER BY q.announced_at, q.request_id LIMIT $${params.length}`,
    params,
  );
  return rows;
}
