/** Workflow ids carry only the request's opaque id: never parameters, never PII. */
export function requestWorkflowId(requestId: string): string {
  return `request-${requestId}`;
}
