/**
 * Counts mutating requests from the API server's audit log (the control plane logs every write's metadata),
 * by identity: the only source that tells the operator's writes from the controller manager's or the bench's.
 */
import { closeSync, openSync, readSync, statSync } from "node:fs";

interface Entry {
  verb: string;
  user: { username: string };
  objectRef?: { resource?: string; subresource?: string };
  responseStatus?: { code?: number };
}

export class AuditLog {
  readonly #path: string;

  constructor(path: string) {
    this.#path = path;
  }

  /** Current end of the log: pass it to `writesSince` later. */
  offset(): number {
    try {
      return statSync(this.#path).size;
    } catch {
      return 0;
    }
  }

  /** Writes by `user` since `offset`, keyed "verb resource[/subresource]". */
  writesSince(offset: number, user: string): Record<string, number> {
    const end = this.offset();
    const out: Record<string, number> = {};
    if (end <= offset) return out;
    const fd = openSync(this.#path, "r");
    const buf = Buffer.alloc(end - offset);
    try {
      readSync(fd, buf, 0, buf.length, offset);
    } finally {
      closeSync(fd);
    }
    const needle = `"username":"${user}"`;
    for (const line of buf.toString("utf8").split("\n")) {
      if (!line.includes(needle)) continue;
      const e = JSON.parse(line) as Entry;
      if (e.user.username !== user) continue;
      const r = e.objectRef;
      const k = `${e.verb} ${r?.resource ?? "?"}${r?.subresource ? `/${r.subresource}` : ""}`;
      out[k] = (out[k] ?? 0) + 1;
    }
    return out;
  }
}

export function total(counts: Record<string, number>, exclude?: (key: string) => boolean): number {
  return Object.entries(counts).reduce((s, [k, v]) => (exclude?.(k) ? s : s + v), 0);
}
