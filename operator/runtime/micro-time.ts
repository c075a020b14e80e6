/** Formats a Date as a Kubernetes MicroTime (RFC 3339 with exactly six fractional digits, UTC). */
export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}
