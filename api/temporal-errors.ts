// gRPC status codes (https://grpc.github.io/grpc/core/md_doc_statuscodes.html).
const DEADLINE_EXCEEDED = 4;
const UNAVAILABLE = 14;

/** True when Temporal could not be reached (as opposed to refusing the call). */
export function isTemporalUnavailable(err: unknown): boolean {
  for (let e: unknown = err; typeof e === 'object' && e !== null; e = (e as { cause?: unknown }).cause) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (code === UNAVAILABLE || code === DEADLINE_EXCEEDED) return true;
    if (typeof message === 'string' && /UNAVAILABLE|DEADLINE_EXCEEDED|Failed to connect|ECONNREFUSED/.test(message)) return true;
  }
  return false;
}
