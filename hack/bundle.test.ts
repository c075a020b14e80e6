import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bundle } from "./bundle.ts";
import { importedPackages } from "./prune-deps.ts";

const root = join(import.meta.dirname, "..");
const out = mkdtempSync(join(tmpdir(), "bundle-test-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

// The image carries only the packages these find (hack/prune-deps.ts): one that the bundle imports and they miss
// would fail at run time, and only on the path that imports it.
describe("the operator's bundle, which its image runs", () => {
  it("leaves out only the packages the operator imports lazily", async () => {
    const file = await bundle(root, "operator/main.ts", join(out, "operator", "main.js"));
    expect([...importedPackages(readFileSync(file, "utf8"))].sort()).toEqual([
      "@kubernetes/client-node",
      "undici",
    ]);
  });
});
