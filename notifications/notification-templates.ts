import type { NotificationTemplate, Recipients } from '../workflows/capability-model';

export interface NotificationContext {
  requestId: string;
  /** Which version of the request (its parameters); executions of it are retries. */
  version: number;
  capability: string;
  state: string;
  error?: string;
  comment?: string;
}

/** Which lists hear about what (the source: "ingest-failed goes to the DA list"). */
export const audience: Record<NotificationTemplate, (keyof Recipients)[]> = {
  'workflow-complete': ['dataAnalysts'],
  'workflow-failed': ['dataAnalysts', 'operators'],
  'qa-announce': ['reviewers'],
  'ingest-failed': ['dataAnalysts'],
  'qa-reminder': ['reviewers'],
  'qa-escalation': ['operators'],
  'handoff-reminder': ['operators'],
};

/** Plain-text mails; ids and states only, never parameters (they may hold personal data). */
export function renderNotification(template: NotificationTemplate, c: NotificationContext): { subject: string; body: string } {
  const link = `Request ${c.requestId}, version ${c.version} (${c.capability}): GET /v1/requests/${c.requestId}`;
  switch (template) {
    case 'workflow-complete':
      return { subject: `[capflow] ${c.capability} request complete`, body: `${link}\nThe request is ${c.state}.` };
    case 'workflow-failed':
      return { subject: `[capflow] ${c.capability} request failed`, body: `${link}\nThe request failed: ${c.error ?? 'no reason given'}.` };
    case 'ingest-failed':
      return { subject: `[capflow] ${c.capability} ingestion failed`, body: `${link}\nIngestion failed after QA passed: ${c.error ?? 'no reason given'}.` };
    case 'qa-announce':
      return { subject: `[capflow] ${c.capability} request awaits QA`, body: `${link}\nIts products: GET /v1/requests/${c.requestId}/versions/${c.version}/products\nPlease review it: POST /v1/requests/${c.requestId}/qa {"version": ${c.version}, "decision": …, "comment": "your notes"}.` };
    case 'qa-reminder':
      return { subject: `[capflow] Reminder: ${c.capability} request still awaits QA`, body: `${link}\nIt is still waiting for a QA decision.` };
    case 'handoff-reminder':
      return { subject: `[capflow] ${c.capability} request still waits for an external answer`, body: `${link}\nThe external system has not answered yet; the request fails if it does not answer by its deadline.` };
    case 'qa-escalation':
      return { subject: `[capflow] Escalation: ${c.capability} QA overdue`, body: `${link}\nNo QA decision within the deadline; please take action.` };
  }
}

export function recipientsFor(template: NotificationTemplate, recipients: Recipients): string[] {
  return [...new Set(audience[template].flatMap((list) => recipients[list]))];
}
