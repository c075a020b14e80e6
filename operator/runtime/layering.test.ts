// runtime/ is generic: it must not know about Greeters. This keeps the dependency arrow pointing one way.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

describe("operator/runtime", () => {
  it("imports only itself, Node and packages: nothing from the Greeter API, controller or telemetry", () => {
    const root = import.meta.dirname;
    const offenders = sources(root).flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(/from\s+"(\.[^"]+)"/g)]
        .map((m) => m[1] ?? "")
        .filter((spec) => !resolve(dirname(file), spec).startsWith(`${root}/`))
        .map((spec) => `${file}: ${spec}`),
    );
    expect(offenders).toEqual([]);
  });
});
