import type { Pool } from 'pg';

export interface WebhookDeliveryRow {
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

/** Records the delivery once and returns it (the stored body, so every retry sends the same bytes). */
export async function claimWebhookDelivery(
  db: Pool,
  d: { requestId: string; seq: number; message: string; url: string; body: Record<string, unknown> },
): Promise<WebhookDeliveryRow> {
  await db.query(
    `INSERT INTO webhook_deliveries (request_id, seq, message, url, body) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
    [d.requestId, d.seq, d.message, d.url, JSON.stringify(d.body)],
  );
  const { rows } = await db.query<WebhookDeliveryRow>(
    `SELECT seq, message, url, body, attempts, last_status AS "lastStatus", last_error AS "lastError", created_at AS "createdAt", delivered_at AS "deliveredAt"
     FROM webhook_deliveries WHERE request_id = $1 AND seq = $2 AND message = $3`,
    [d.requestId, d.seq, d.message],
  );
  return rows[0]!;
}

export async function recordWebhookAttempt(
  db: Pool,
  key: { requestId: string; seq: number; message: string },
  outcome: { status: number | null; error: string | null; delivered: boolean },
): Promise<void> {
  await db.query(
    `UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $4, last_error = $5,
       delivered_at = CASE WHEN $6 THEN now() ELSE delivered_at END
     WHERE request_id = $1 AND seq = $2 AND message = $3`,
    [key.requestId, key.seq, key.message, outcome.status, outcome.error, outcome.delivered],
  );
}

export async function queueNotifications(
  db: Pool,
  rows: { requestId: string; seq: number; occurrence: number; template: string; recipient: string; subject: string; body: string }[],
): Promise<void> {
  for (const n of rows) {
    await db.query(
      `INSERT INTO notifications (request_id, seq, occurrence, template, recipient, subject, body) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
      [n.requestId, n.seq, n.occurrence, n.template, n.recipient, n.subject, n.body],
    );
  }
}

export async function unsentNotifications(db: Pool, requestId: string, seq: number, template: string, occurrence: number): Promise<NotificationRow[]> {
  const { rows } = await db.query<NotificationRow>(
    `SELECT seq, occurrence, template, recipient, subject, body, created_at AS "createdAt", sent_at AS "sentAt", last_error AS "lastError"
     FROM notifications WHERE request_id = $1 AND seq = $2 AND template = $3 AND occurrence = $4 AND sent_at IS NULL ORDER BY recipient`,
    [requestId, seq, template, occurrence],
  );
  return rows;
}

export async function markNotification(
  db: Pool,
  key: { requestId: string; seq: number; occurrence: number; template: string; recipient: string },
  error: string | null,
): Promise<void> {
  await db.query(
    `UPDATE notifications SET sent_at = CASE WHEN $6::text IS NULL THEN now() ELSE sent_at END, last_error = $6
     WHERE request_id = $1 AND seq = $2 AND occurrence = $3 AND template = $4 AND recipient = $5`,
    [key.requestId, key.seq, key.occurrence, key.template, key.recipient, error],
  );
}

export async function listNotificationHistory(db: Pool, requestId: string) {
  const [webhooks, emails] = await Promise.all([
    db.query<WebhookDeliveryRow>(
      `SELECT seq, message, url, body, attempts, last_status AS "lastStatus", last_error AS "lastError", created_at AS "createdAt", delivered_at AS "deliveredAt"
       FROM webhook_deliveries WHERE request_id = $1 ORDER BY seq, message`,
      [requestId],
    ),
    db.query<NotificationRow>(
      `SELECT seq, occurrence, template, recipient, subject, body, created_at AS "createdAt", sent_at AS "sentAt", last_error AS "lastError"
       FROM notifications WHERE request_id = $1 ORDER BY seq, created_at, template, occurrence, recipient`,
      [requestId],
    ),
  ]);
  return { webhooks: webhooks.rows, emails: emails.rows };
}
