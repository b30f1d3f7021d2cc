/** Workflow ids carry only the request's opaque id: never parameters, never PII. */
export function requestWorkflowId(requestId: string): string {
  return `request-${requestId}`;
}

/**
 * An execution runs as a child of its request; the id names the lineage (`request-<id>/v2/e1`),
 * so the Web UI and `temporal workflow list` show which request and version it belongs to.
 */
export function executionWorkflowId(requestId: string, version: number, execution: number): string {
  return `${requestWorkflowId(requestId)}/v${version}/e${execution}`;
}
