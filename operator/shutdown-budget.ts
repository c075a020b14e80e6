/**
 * The longest a graceful shutdown may take: the controller's drain, the requests it then aborts settling, the
 * last Events, and the Lease's release. main.ts exits 1 past it, and the pod's terminationGracePeriodSeconds
 * (config/manager/manager.yaml) must exceed it, or the kubelet kills the process before the Lease is released.
 */
import { EVENT_FLUSH_TIMEOUT_MS } from "./controller/greeter-controller.ts";
import { RELEASE_TIMEOUT_MS } from "./runtime/leader-election.ts";

/** Aborted requests reject at once; this is slack for a busy event loop. */
const ABORT_SETTLE_MS = 3_000;

export function shutdownBudgetMs(shutdownTimeoutMs: number): number {
  return shutdownTimeoutMs + ABORT_SETTLE_MS + EVENT_FLUSH_TIMEOUT_MS + RELEASE_TIMEOUT_MS;
}
