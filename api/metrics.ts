import type { RequestHandler } from 'express';
import type { Pool } from 'pg';
import { documentMetrics } from '../db/documents';
import { isDatabaseUnavailable } from '../db/pool';

const label = (value: string) => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/**
 * `GET /metrics` in the Prometheus text format. The numbers come from PostgreSQL (what every poll
 * cycle recorded), so any API replica answers the same, whichever worker ran the cycle.
 */
export function metricsRoute(db: Pool): RequestHandler {
  return async (_req, res, next) => {
    try {
      const m = await documentMetrics(db);
      const lines: string[] = [];
      const counter = (name: string, help: string, value: string | number) => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`, `${name} ${value}`);
      counter('capflow_document_poll_cycles_total', 'Document status poll cycles run.', m.totals.cycles ?? 0);
      counter('capflow_documents_polled_total', 'Documents whose status was asked for.', m.totals.polled ?? 0);
      counter('capflow_document_status_calls_total', 'Calls to the status endpoint.', m.totals.status_calls ?? 0);
      counter('capflow_documents_marked_completed_total', 'Documents the poller marked completed.', m.totals.completed ?? 0);
      counter('capflow_documents_marked_failed_total', 'Documents the poller marked failed (processing timeouts not included).', m.totals.failed ?? 0);
      counter('capflow_document_processing_timeouts_total', 'Documents still processing 24 h after they started.', m.totals.processing_timeouts ?? 0);
      counter('capflow_document_status_exhausted_retries_total', 'Status batches given up on for a cycle after their retries.', m.totals.exhausted_retries ?? 0);
      lines.push('# HELP capflow_document_polling_errors_total Bad or failed status answers, by kind.', '# TYPE capflow_document_polling_errors_total counter');
      for (const e of m.errors) lines.push(`capflow_document_polling_errors_total{kind="${label(e.kind)}"} ${e.n}`);
      lines.push('# HELP capflow_document_uploads Uploads by document type, state and failing step.', '# TYPE capflow_document_uploads gauge');
      for (const o of m.outcomes) lines.push(`capflow_document_uploads{doc_type="${label(o.docType)}",state="${o.state}",step="${label(o.step ?? '')}"} ${o.n}`);
      if (m.last) {
        lines.push('# HELP capflow_document_poll_last_cycle_documents Documents polled in the last cycle.', '# TYPE capflow_document_poll_last_cycle_documents gauge');
        lines.push(`capflow_document_poll_last_cycle_documents ${m.last.polled}`);
        lines.push('# HELP capflow_document_poll_last_cycle_status_calls Status calls in the last cycle.', '# TYPE capflow_document_poll_last_cycle_status_calls gauge');
        lines.push(`capflow_document_poll_last_cycle_status_calls ${m.last.statusCalls}`);
        lines.push('# HELP capflow_document_poll_last_cycle_seconds How long the last cycle took.', '# TYPE capflow_document_poll_last_cycle_seconds gauge');
        lines.push(`capflow_document_poll_last_cycle_seconds ${m.last.seconds}`);
      }
      res.type('text/plain; version=0.0.4').send(`${lines.join('\n')}\n`);
    } catch (err) {
      if (isDatabaseUnavailable(err)) res.status(503).type('text/plain').send('# database unavailable\n');
      else next(err);
    }
  };
}
