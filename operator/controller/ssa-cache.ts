/**
 * SsaCache is the I/O side of ObservedChildren.applied, after cluster-api's SSA cache: it keeps, per child, the
 * fingerprint of the operator's last apply when the server's answer still differed from what was applied (a
 * webhook or another field manager shapes the child), and hands it to the next reconcile. Without it such a
 * child is applied on every reconcile and resync, and its Greeter never reads Ready (a Deployment being
 * applied has no rollout to report). A child whose answer the no-op check accepts leaves no entry, so the
 * cache stays empty unless others shape the children.
 * In memory only: after a restart a shaped child is applied once (the server finds nothing to change) and
 * remembered again.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import type { ObjectKey } from "../runtime/resource.ts";
import { appliedKey, fingerprintToRemember } from "./reconcile.ts";

export class SsaCache {
  /** By Greeter, then by child (appliedKey). */
  readonly #byGreeter = new Map<ObjectKey, Record<string, number>>();

  /** Greeters with an entry. */
  get size(): number {
    return this.#byGreeter.size;
  }

  /** After a successful apply of `desired`, a child of the Greeter `greeter`, with the server's `answer`. */
  remember(greeter: ObjectKey, desired: KubernetesObject, answer: KubernetesObject): void {
    const fingerprint = fingerprintToRemember(desired, answer);
    if (fingerprint === undefined) this.forget(greeter, desired);
    else
      this.#byGreeter.set(greeter, { ...this.#byGreeter.get(greeter), [appliedKey(desired)]: fingerprint });
  }

  /** ObservedChildren.applied for the Greeter. */
  appliedFor(greeter: ObjectKey): Readonly<Record<string, number>> | undefined {
    return this.#byGreeter.get(greeter);
  }

  /** The child was deleted, or its last apply left nothing to remember. */
  forget(greeter: ObjectKey, child: Parameters<typeof appliedKey>[0]): void {
    const entries = this.#byGreeter.get(greeter);
    const key = appliedKey(child);
    if (!entries || !(key in entries)) return;
    const { [key]: _gone, ...rest } = entries;
    if (Object.keys(rest).length > 0) this.#byGreeter.set(greeter, rest);
    else this.#byGreeter.delete(greeter);
  }

  /** The Greeter is gone, and its children with it. */
  forgetGreeter(greeter: ObjectKey): void {
    this.#byGreeter.delete(greeter);
  }
}
