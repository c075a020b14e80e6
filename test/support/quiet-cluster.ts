/**
 * What "nothing left to do" means for tests that count an operator's writes: a Greeter turns Ready before its
 * Deployment's status is final, whose last updates still reach the Greeter's status. Waiting for these states,
 * not for a time, keeps the count exact.
 */
import { eventually } from "../cluster/testing.ts";
import { get, type KubeObject } from "./greeters.ts";
import type { OperatorProcess } from "./operator-process.ts";

const num = (v: unknown) => (typeof v === "number" ? v : 0);

/** Why the Greeter or its Deployment may still change, or undefined when both are final. */
function pending(greeter: KubeObject | undefined, deployment: KubeObject | undefined): string | undefined {
  if (!greeter) return "the Greeter does not exist";
  const want = num(greeter.spec?.replicas);
  const gs = greeter.status ?? {};
  if (gs.observedGeneration !== greeter.metadata.generation) return "Greeter status is not current";
  if (
    !gs.conditions?.some((c: { type: string; status: string }) => c.type === "Ready" && c.status === "True")
  )
    return "Greeter not Ready";
  if (num(gs.replicas) !== want || num(gs.readyReplicas) !== want) return "Greeter status counts not final";
  if (!deployment) return "the Deployment does not exist";
  const ds = deployment.status ?? {};
  if (ds.observedGeneration !== deployment.metadata.generation) return "Deployment status is not current";
  for (const field of ["replicas", "updatedReplicas", "readyReplicas", "availableReplicas"]) {
    if (num(ds[field]) !== want) return `Deployment status.${field} is not ${want}`;
  }
  return undefined;
}

/** Until every named Greeter's status is current and Ready, and its Deployment's status is final. */
export async function waitForConverged(namespace: string, names: string[]): Promise<void> {
  for (const name of names) {
    await eventually(`Greeter ${namespace}/${name} and its Deployment to be final`, async () => {
      const why = pending(await get(namespace, "greeter", name), await get(namespace, "deployment", name));
      if (why) throw new Error(why);
      return true;
    });
  }
}

/**
 * Until the operator's write count has not moved for `stillMs`, and returns it. The work that follows a
 * convergence (status written at once or after StatusHold's 2 s, the Events after it) all lands well inside
 * that; a count that never stands still fails, with the counts.
 */
export async function waitForWritesStill(
  operator: OperatorProcess,
  stillMs = 6_000,
  timeoutMs = 60_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const seen: number[] = [];
  let count = await operator.writes();
  let since = Date.now();
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = await operator.writes();
    if (now !== count) {
      seen.push(now);
      count = now;
      since = Date.now();
    } else if (Date.now() - since >= stillMs) {
      return count;
    }
  }
  throw new Error(
    `the operator kept writing for ${timeoutMs / 1000}s: counts ${seen.join(", ")}\n${operator.logTail(60)}`,
  );
}
