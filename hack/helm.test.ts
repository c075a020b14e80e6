import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const script = join(import.meta.dirname, "helm.sh");
const dir = mkdtempSync(join(tmpdir(), "helm-sh-"));
const ownHelm = join(dir, "helm");
writeFileSync(ownHelm, "#!/bin/sh\necho mine\n");
chmodSync(ownHelm, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[], env: NodeJS.ProcessEnv) =>
  execFileSync("bash", [script, ...args], { encoding: "utf8", env: { ...process.env, ...env } }).trim();

describe("hack/helm.sh", () => {
  it("uses the helm already on PATH", () => {
    expect(run([], { PATH: `${dir}:${process.env.PATH}`, HELM: "" })).toBe(ownHelm);
  });

  it("uses $HELM first", () => {
    expect(run([], { HELM: ownHelm })).toBe(ownHelm);
  });

  it("prints the version pinned in hack/helm/go.mod", () => {
    expect(run(["--version"], {})).toMatch(/^v4\.\d+\.\d+$/);
  });
});
