/**
 * `node bench/operator/reconcile-cost.ts [--root <dir>]... [--rounds 5]`: what one reconcile that finds nothing
 * to do costs, the reconcile every resync makes for every Greeter: heap bytes allocated and CPU time. For each
 * `--root` (a checkout of the operator; default this one), a fresh node process takes a Greeter to converged with
 * that checkout's pure reconciler (operator/controller/testing/converged.ts), passes its children through the
 * child cache's transform as the informer does (managedFields packed), and reconciles it again and again, each
 * time asking whether the status needs a write, as the controller does. Bytes
 * are the heap's growth over 1,000 reconciles with a young generation large enough that no GC runs in between;
 * time is the median of `--rounds` batches of 5,000. Two Greeters: one with the defaults, one with every field
 * set. The first root is the baseline of the ratios, so `--root /tmp/before --root .` compares two versions in
 * the same run.
 */
import { execFileSync } from "node:child_process";
import { loadavg } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";

const ROOT = resolve(import.meta.dirname, "..", "..");
const { values: args } = parseArgs({
  options: { root: { type: "string", multiple: true }, rounds: { type: "string", default: "5" } },
});
const roots = (args.root?.length ? args.root : [ROOT]).map((r) => resolve(r));
const rounds = Number(args.rounds);

/** Runs in the child: one line of JSON per Greeter. */
const probe = (root: string) => `
const url = (p) => new URL(p, ${JSON.stringify(`file://${root}/`)}).href;
const { converged } = await import(url("operator/controller/testing/converged.ts"));
const { reconcileGreeter, statusNeedsWrite } = await import(url("operator/controller/reconcile.ts"));
const { forChildCache } = await import(url("operator/controller/cache-transforms.ts"));
const { CTX, LATER, EVERY_FIELD } = await import(url("operator/controller/testing/fixtures.ts"));
const out = {};
for (const [name, spec] of [["defaults", {}], ["every field", EVERY_FIELD]]) {
  const c = converged(spec);
  const observed = Object.fromEntries(
    Object.entries(c.observed).map(([k, v]) => [k, v && typeof v === "object" && "metadata" in v ? forChildCache(v) : v]),
  );
  const ctx = { ...CTX, now: LATER };
  // The controller asks statusNeedsWrite after every reconcile, so it is part of what a resync costs.
  const once = () => {
    const plan = reconcileGreeter(c.greeter, observed, ctx);
    return { plan, write: statusNeedsWrite(c.greeter.status, plan.status) };
  };
  const { plan, write } = once();
  if (plan.apply.length || plan.delete.length || plan.events.length || write) throw new Error(name + ": not a no-op reconcile");
  for (let i = 0; i < 5000; i++) once();
  globalThis.gc(); globalThis.gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 1000; i++) once();
  const bytes = (process.memoryUsage().heapUsed - before) / 1000;
  const times = [];
  for (let r = 0; r < ${rounds}; r++) {
    const t0 = performance.now();
    for (let i = 0; i < 5000; i++) once();
    times.push(((performance.now() - t0) * 1000) / 5000);
  }
  times.sort((a, b) => a - b);
  out[name] = { bytes, us: times[Math.floor(times.length / 2)] };
}
console.log(JSON.stringify(out));
`;

type Cost = Record<string, { bytes: number; us: number }>;
const results: { root: string; cost: Cost }[] = [];
for (const root of roots) {
  const stdout = execFileSync(
    process.execPath,
    [
      "--expose-gc",
      "--max-semi-space-size=1024",
      "--min-semi-space-size=1024",
      "--input-type=module",
      "-e",
      probe(root),
    ],
    { encoding: "utf8", cwd: root },
  );
  results.push({ root, cost: JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as Cost });
}

const base = results[0]?.cost ?? {};
console.log(`# One no-op reconcile: heap allocated and CPU time\n`);
console.log(
  `Command: \`node bench/operator/reconcile-cost.ts${roots.map((r) => ` --root ${r}`).join("")}\`. ${new Date().toISOString()}, Node ${process.version}; load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" / ")}. Ratios against the first root.\n`,
);
console.log("| root | Greeter | KiB allocated | vs first | µs | vs first |");
console.log("| --- | --- | ---: | ---: | ---: | ---: |");
for (const { root, cost } of results) {
  for (const [name, c] of Object.entries(cost)) {
    const b = base[name];
    console.log(
      `| ${root} | ${name} | ${(c.bytes / 1024).toFixed(1)} | ${b ? (c.bytes / b.bytes).toFixed(2) : "–"} | ${c.us.toFixed(1)} | ${b ? (c.us / b.us).toFixed(2) : "–"} |`,
    );
  }
}
