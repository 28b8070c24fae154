/**
 * JSON.stringify for API responses: bigint becomes a number when it is a safe integer (artifact sizes, audit ids)
 * and a string otherwise; dates become ISO strings (Date#toJSON).
 */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString()) : v));
}

/** A JSON response with the right content type. */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(toJson(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } });
}
