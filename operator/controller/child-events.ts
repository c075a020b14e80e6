/**
 * One Event per reconcile for what it did to the children, not one per child: "Created Deployment demo/web,
 * Service demo/web, ServiceMonitor demo/web". Each Event is a write the API server and etcd pay for like any
 * other; at creation the three per-child Events were as many writes as the children themselves
 * (bench/operator), for a story `kubectl describe` tells just as well in one line.
 */
import type { EventSpec } from "./types.ts";

/** Merges child events (those with `related`) of the same type and reason; other events pass unchanged. */
export function coalesceChildEvents(events: readonly EventSpec[]): EventSpec[] {
  const out: EventSpec[] = [];
  const merged = new Map<string, { spec: EventSpec; names: string[] }>();
  for (const e of events) {
    if (!e.related) {
      out.push(e);
      continue;
    }
    const key = `${e.type}/${e.reason}`;
    const name = `${e.related.kind} ${e.related.namespace}/${e.related.name}`;
    const group = merged.get(key);
    if (!group) {
      const spec = { ...e };
      merged.set(key, { spec, names: [name] });
      out.push(spec);
      continue;
    }
    group.names.push(name);
    // One Event can point at one related object only: a merged one names them all in its note instead.
    delete group.spec.related;
    group.spec.note = `${e.reason} ${group.names.join(", ")}`;
  }
  return out;
}
