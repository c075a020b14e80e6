/**
 * Picks the id of a request: the caller's `x-request-id` when it is a sane token (so ids from an ingress or
 * another service carry through), otherwise a fresh random UUID. Ids with spaces, quotes or other odd bytes
 * are replaced rather than echoed, so a header can never smuggle text into logs or responses.
 */
// getBuiltinModule rather than a static import, which would also load WebCrypto (see problem.ts).
const { randomUUID } = process.getBuiltinModule("node:crypto");

export const REQUEST_ID_HEADER = "x-request-id";

const SAFE_ID = /^[\w.:@/+=-]{1,128}$/;

export function requestIdFor(incoming: string | string[] | undefined): string {
  return typeof incoming === "string" && SAFE_ID.test(incoming) ? incoming : randomUUID();
}
