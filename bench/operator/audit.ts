/**
 * Counts mutating requests from the API server's audit log (the control plane logs every write's metadata),
 * by identity: the only source that tells the operator's writes from the controller manager's or the bench's.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";

interface Entry {
  verb: string;
  user: { username: string };
  objectRef?: { resource?: string; subresource?: string };
  requestReceivedTimestamp: string;
}

export class AuditLog {
  readonly #path: string;

  constructor(path: string) {
    this.#path = path;
  }

  /** A mark for `writesSince`: the time (the log rotates at 100 MB, so byte offsets do not survive). */
  offset(): number {
    return Date.now();
  }

  /** Writes by `user` received since `since` (ms), keyed "verb resource[/subresource]", rotated files included. */
  writesSince(since: number, user: string): Record<string, number> {
    const out: Record<string, number> = {};
    const dir = dirname(this.#path);
    const stem = basename(this.#path).replace(/\.log$/, "");
    const files = readdirSync(dir)
      .filter((f) => f.startsWith(stem) && f.endsWith(".log"))
      .map((f) => join(dir, f))
      .filter((f) => statSync(f).mtimeMs >= since);
    const needle = `"username":"${user}"`;
    for (const file of files) {
      for (const line of readFileSync(file, "utf8").split("\n")) {
        if (!line.includes(needle)) continue;
        const e = JSON.parse(line) as Entry;
        if (e.user.username !== user || Date.parse(e.requestReceivedTimestamp) < since) continue;
        const r = e.objectRef;
        const k = `${e.verb} ${r?.resource ?? "?"}${r?.subresource ? `/${r.subresource}` : ""}`;
        out[k] = (out[k] ?? 0) + 1;
      }
    }
    return out;
  }
}

export function total(counts: Record<string, number>, exclude?: (key: string) => boolean): number {
  return Object.entries(counts).reduce((s, [k, v]) => (exclude?.(k) ? s : s + v), 0);
}
