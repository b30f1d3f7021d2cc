import type { Pool } from 'pg';

/** Which transition of which execution a callback or e-mail belongs to. */
export interface TransitionKey {
  requestId: string;
  version: number;
  execution: number;
  seq: number;
}

export interface WebhookDeliveryRow {
  version: number;
  execution: number;
  seq: number;
  message: string;
  url: string;
  body: Record<string, unknown>;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
}

export interface NotificationRow {
  version: number;
  execution: number;
  seq: number;
  occurrence: number;
  template: string;
  recipient: string;
  subject: string;
  body: string;
  createdAt: Date;
  sentAt: Date | null;
  lastError: string | null;
}

const webhookColumns = `version, execution, seq, message, url, body, attempts, last_status AS "lastStatus", last_error AS "lastError",
  created_at AS "createdAt", delivered_at AS "deliveredAt"`;
const notificationColumns = `version, execution, seq, occurrence, template, recipient, subject, body, created_at AS "createdAt",
  sent_at AS "sentAt", last_error AS "lastError"`;

/** Records the delivery once and returns it (the stored body, so every retry sends the same bytes). */
export async function claimWebhookDelivery(
  db: Pool,
  d: TransitionKey & { message: string; url: string; body: Record<string, unknown> },
): Promise<WebhookDeliveryRow> {
  await db.query(
    `INSERT INTO webhook_deliveries (request_id, version, execution, seq, message, url, body) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
    [d.requestId, d.version, d.execution, d.seq, d.message, d.url, JSON.stringify(d.body)],
  );
  const { rows } = await db.query<WebhookDeliveryRow>(
    `SELECT ${webhookColumns} FROM webhook_deliveries WHERE request_id = $1 AND version = $2 AND execution = $3 AND seq = $4 AND message = $5`,
    [d.requestId, d.version, d.execution, d.seq, d.message],
  );
  return rows[0]!;
}

export async function recordWebhookAttempt(
  db: Pool,
  key: TransitionKey & { message: string },
  outcome: { status: number | null; error: string | null; delivered: boolean },
): Promise<void> {
  await db.query(
    `UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $6, last_error = $7,
       delivered_at = CASE WHEN $8 THEN now() ELSE delivered_at END
     WHERE request_id = $1 AND version = $2 AND execution = $3 AND seq = $4 AND message = $5`,
    [key.requestId, key.version, key.execution, key.seq, key.message, outcome.status, outcome.error, outcome.delivered],
  );
}

export async function queueNotifications(
  db: Pool,
  rows: (TransitionKey & { occurrence: number; template: string; recipient: string; subject: string; body: string })[],
): Promise<void> {
  for (const n of rows) {
    await db.query(
      `INSERT INTO notifications (request_id, version, execution, seq, occurrence, template, recipient, subject, body)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
      [n.requestId, n.version, n.execution, n.seq, n.occurrence, n.template, n.recipient, n.subject, n.body],
    );
  }
}

export async function unsentNotifications(db: Pool, key: TransitionKey & { template: string; occurrence: number }): Promise<NotificationRow[]> {
  const { rows } = await db.query<NotificationRow>(
    `SELECT ${notificationColumns} FROM notifications
     WHERE request_id = $1 AND version = $2 AND execution = $3 AND seq = $4 AND template = $5 AND occurrence = $6 AND sent_at IS NULL ORDER BY recipient`,
    [key.requestId, key.version, key.execution, key.seq, key.template, key.occurrence],
  );
  return rows;
}

export async function markNotification(
  db: Pool,
  key: TransitionKey & { occurrence: number; template: string; recipient: string },
  error: string | null,
): Promise<void> {
  await db.query(
    `UPDATE notifications SET sent_at = CASE WHEN $8::text IS NULL THEN now() ELSE sent_at END, last_error = $8
     WHERE request_id = $1 AND version = $2 AND execution = $3 AND seq = $4 AND occurrence = $5 AND template = $6 AND recipient = $7`,
    [key.requestId, key.version, key.execution, key.seq, key.occurrence, key.template, key.recipient, error],
  );
}

export async function listNotificationHistory(db: Pool, requestId: string) {
  const [webhooks, emails] = await Promise.all([
    db.query<WebhookDeliveryRow>(`SELECT ${webhookColumns} FROM webhook_deliveries WHERE request_id = $1 ORDER BY version, execution, seq, message`, [requestId]),
    db.query<NotificationRow>(
      `SELECT ${notificationColumns} FROM notifications WHERE request_id = $1 ORDER BY version, execution, seq, created_at, template, occurrence, recipient`,
      [requestId],
    ),
  ]);
  return { webhooks: webhooks.rows, emails: emails.rows };
}
