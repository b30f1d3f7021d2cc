import type { Pool } from 'pg';
import { listNotificationHistory } from '../../db/notifications';
import { listQaReviews } from '../../db/qa-reviews';
import { findRegistrationOfRequest } from '../../db/registrations';
import { listRequestEvents, listVersions } from '../../db/request-versions';
import { registrationView } from './registration-callbacks';
import { findRequest, listRequests, listTransitions, type RequestRow } from '../../db/requests';
import { visibleParameters } from '../../pii/protected-parameters';
import { decodeCursor, encodeCursor } from '../cursor';
import { notFound } from '../problem';

export async function getRequest(db: Pool, id: string) {
  const row = await findRequest(db, id);
  if (!row) throw notFound(`request ${id} does not exist`);
  const [transitions, reviews, { versions, executions }, events, registration] = await Promise.all([
    listTransitions(db, id),
    listQaReviews(db, id),
    listVersions(db, id),
    listRequestEvents(db, id),
    row.capability === 'registration' ? findRegistrationOfRequest(db, id) : Promise.resolve(undefined),
  ]);
  return {
    ...summary(row),
    parameters: visibleParameters(row.parameters),
    versions: versions.map((v) => ({
      version: v.version,
      state: v.state,
      current: v.version === row.currentVersion,
      parameters: visibleParameters(v.parameters),
      createdBy: v.createdBy,
      createdAt: v.createdAt.toISOString(),
      executions: executions
        .filter((e) => e.version === v.version)
        .map((e) => ({
          execution: e.execution,
          workflowId: e.workflowId,
          state: e.state,
          error: e.error,
          current: e.execution === v.currentExecution,
          startedBy: e.startedBy,
          startedAt: e.startedAt.toISOString(),
          updatedAt: e.updatedAt.toISOString(),
        })),
    })),
    events: events.map((e) => ({ ...e, occurredAt: e.occurredAt.toISOString() })),
    ...(registration ? { registration: registrationView(registration) } : {}),
    transitions: transitions.map((t) => ({ ...t, occurredAt: t.occurredAt.toISOString() })),
    qa: reviews.map((r) => ({
      version: r.version,
      announcedAt: r.announcedAt.toISOString(),
      decision: r.decision,
      reviewer: r.reviewer,
      comment: r.comment,
      decidedAt: r.decidedAt?.toISOString() ?? null,
    })),
  };
}

export async function getNotificationHistory(db: Pool, id: string) {
  if (!(await findRequest(db, id))) throw notFound(`request ${id} does not exist`);
  const { webhooks, emails } = await listNotificationHistory(db, id);
  const iso = (d: Date | null) => d?.toISOString() ?? null;
  return {
    webhooks: webhooks.map((w) => ({ ...w, createdAt: w.createdAt.toISOString(), deliveredAt: iso(w.deliveredAt) })),
    emails: emails.map((e) => ({ ...e, createdAt: e.createdAt.toISOString(), sentAt: iso(e.sentAt) })),
  };
}

export interface RequestPageQuery {
  capability?: string;
  state?: string;
  submittedBy?: string;
  submittedAfter?: string;
  submittedBefore?: string;
  limit: number;
  cursor?: string;
}

export async function listRequestPage(db: Pool, query: RequestPageQuery) {
  const before = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  // One extra row tells whether another page exists.
  const rows = await listRequests(db, {
    limit: query.limit + 1,
    ...(query.capability ? { capability: query.capability } : {}),
    ...(query.state ? { state: query.state } : {}),
    ...(query.submittedBy ? { submittedBy: query.submittedBy } : {}),
    ...(query.submittedAfter ? { submittedAfter: new Date(query.submittedAfter) } : {}),
    ...(query.submittedBefore ? { submittedBefore: new Date(query.submittedBefore) } : {}),
    ...(before ? { before: { submittedAt: before.at, id: before.id } } : {}),
  });
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return {
    items: page.map(summary),
    nextCursor: rows.length > query.limit && last ? encodeCursor(last.submittedAt, last.id) : null,
  };
}

function summary(row: RequestRow) {
  return {
    id: row.id,
    workflowId: row.workflowId,
    capability: row.capability,
    state: row.state,
    sealed: row.sealed,
    currentVersion: row.currentVersion,
    submittedBy: row.submittedBy,
    submittedAt: row.submittedAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
