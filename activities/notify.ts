import { ApplicationFailure } from '@temporalio/activity';
import type { Pool } from 'pg';
import { claimWebhookDelivery, markNotification, queueNotifications, recordWebhookAttempt, unsentNotifications, type TransitionKey } from '../db/notifications';
import type { Mailer } from '../notifications/mailer';
import { recipientsFor, renderNotification } from '../notifications/notification-templates';
import { signatureHeader, webhookSecretFor } from '../notifications/webhook-signature';
import type { NotificationTemplate, Recipients } from '../workflows/capability-model';

export interface NotifyDeps {
  db: Pool;
  webhookSigningKey: string;
  mailer: Mailer | undefined;
  fetch?: typeof fetch;
}

/** The transition (of one execution) a message belongs to: with `message`, the delivery's identity. */
export interface SendMessageInput extends TransitionKey {
  message: string;
  callbackUrl: string;
  submittedBy: string;
  event: Record<string, unknown>;
}

export interface SendNotificationInput extends TransitionKey {
  /** Repeated notices for one transition (escalations while waiting on) are told apart by this. */
  occurrence?: number;
  template: NotificationTemplate;
  capability: string;
  state: string;
  recipients: Recipients;
  error?: string;
}

/** SendMessage: a signed JSON event to the submitter's callback URL, once per transition. */
export async function sendMessage(deps: NotifyDeps, input: SendMessageInput): Promise<void> {
  const key = { requestId: input.requestId, version: input.version, execution: input.execution, seq: input.seq, message: input.message };
  const delivery = await claimWebhookDelivery(deps.db, {
    ...key,
    url: input.callbackUrl,
    body: { id: `${input.requestId}:v${input.version}:e${input.execution}:${input.seq}:${input.message}`, type: input.message, ...input.event },
  });
  if (delivery.deliveredAt) return;

  const body = JSON.stringify(delivery.body);
  const secret = webhookSecretFor(deps.webhookSigningKey, input.submittedBy);
  let status: number | null = null;
  try {
    const res = await (deps.fetch ?? fetch)(delivery.url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-Capflow-Delivery': String(delivery.body.id),
        'X-Capflow-Signature': signatureHeader(secret, body, Math.floor(Date.now() / 1000)),
      },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    status = res.status;
  } catch (err) {
    await recordWebhookAttempt(deps.db, key, { status: null, error: (err as Error).message, delivered: false });
    throw err; // unreachable or timed out: retried with backoff
  }
  const delivered = status >= 200 && status < 300;
  await recordWebhookAttempt(deps.db, key, { status, error: delivered ? null : `HTTP ${status}`, delivered });
  if (delivered) return;
  // 4xx (other than 408/429) will not get better by retrying; 5xx, 408 and 429 might.
  const permanent = status >= 400 && status < 500 && status !== 408 && status !== 429;
  if (permanent) throw ApplicationFailure.create({ type: 'CallbackRejected', message: `callback answered HTTP ${status}`, nonRetryable: true });
  throw new Error(`callback answered HTTP ${status}`);
}

/** SendNotification: render to the capability's lists, record in the outbox, send what is unsent. */
export async function sendNotification(deps: NotifyDeps, input: SendNotificationInput): Promise<void> {
  const recipients = recipientsFor(input.template, input.recipients);
  const { subject, body } = renderNotification(input.template, {
    requestId: input.requestId,
    version: input.version,
    capability: input.capability,
    state: input.state,
    ...(input.error ? { error: input.error } : {}),
  });
  const occurrence = input.occurrence ?? 0;
  const transition: TransitionKey = { requestId: input.requestId, version: input.version, execution: input.execution, seq: input.seq };
  await queueNotifications(
    deps.db,
    recipients.map((recipient) => ({ ...transition, occurrence, template: input.template, recipient, subject, body })),
  );
  if (!deps.mailer) return; // no SMTP configured: the outbox is the record
  let failures = 0;
  for (const n of await unsentNotifications(deps.db, { ...transition, template: input.template, occurrence })) {
    const key = { ...transition, occurrence: n.occurrence, template: n.template, recipient: n.recipient };
    try {
      await deps.mailer.send({ to: n.recipient, subject: n.subject, text: n.body });
      await markNotification(deps.db, key, null);
    } catch (err) {
      failures += 1;
      await markNotification(deps.db, key, (err as Error).message);
    }
  }
  if (failures) throw new Error(`${failures} notification(s) could not be sent; retrying`);
}
