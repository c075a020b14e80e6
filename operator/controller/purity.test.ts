// reconcileGreeter is a pure function: everything it reaches is code of ours that neither does I/O nor reads a
// clock or randomness (the time comes in its context). That is what lets reconcile.test.ts and the no-op test
// run it without a cluster; greeter-controller.ts is where the I/O lives.
import { readFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

/** Packages the pure code may import values from (types are always fine). */
const PURE_PACKAGES = new Set(["zod"]);
const IMPURE_CALLS = /\bDate\.now\(|\bnew Date\(\)|\bprocess\.|\bMath\.random\(|\bperformance\.|\bfetch\(/;

function closure(entry: string): Map<string, string> {
  const sources = new Map<string, string>();
  const pending = [entry];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (sources.has(file)) continue;
    const text = readFileSync(file, "utf8");
    sources.set(file, text);
    for (const m of text.matchAll(/^import\s[\s\S]*?from\s+"(\.[^"]+)";/gm)) {
      pending.push(resolve(dirname(file), m[1] ?? ""));
    }
  }
  return sources;
}

describe("the pure reconciler", () => {
  it("reaches only pure code: no Node modules, no runtime, no clock, no randomness", () => {
    const root = resolve(import.meta.dirname, "..");
    const offenders: string[] = [];
    for (const [file, text] of closure(resolve(import.meta.dirname, "reconcile.ts"))) {
      const name = relative(root, file);
      if (!name.startsWith("controller/") && !name.startsWith("api/"))
        offenders.push(`${name}: outside the pure code`);
      for (const m of text.matchAll(/^import\s+(type\s+)?[\s\S]*?from\s+"([^".][^"]*)";/gm)) {
        if (!m[1] && !PURE_PACKAGES.has(m[2] ?? "")) offenders.push(`${name}: imports a value from ${m[2]}`);
      }
      const impure = IMPURE_CALLS.exec(text);
      if (impure) offenders.push(`${name}: ${impure[0]}`);
    }
    expect(offenders).toEqual([]);
  });
});
