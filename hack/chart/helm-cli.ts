/** Runs helm (hack/helm.sh: $HELM, helm on PATH, or the pinned build, built on first use). */
import { execFile, execFileSync } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import { CHART_DIR, ROOT } from "./chart.ts";
import type { Obj } from "./template-text.ts";

let binary: string | undefined;
/** The helm binary; the first call may build it (minutes). */
export function helmBinary(): string {
  binary ??= execFileSync("bash", [join(ROOT, "hack", "helm.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
  return binary;
}

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export async function helm(args: string[]): Promise<Result> {
  try {
    const { stdout, stderr } = await promisify(execFile)(helmBinary(), args, { maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof err.code === "number" ? err.code : 1,
      stdout: err.stdout ?? "",
      stderr: err.stderr ?? "",
    };
  }
}

/** `helm template` of the chart in this checkout, as objects. Throws with helm's message on failure. */
export async function template(release: string, namespace: string, extra: string[] = []): Promise<Obj[]> {
  const res = await helm(["template", release, CHART_DIR, "--namespace", namespace, ...extra]);
  if (res.code !== 0) throw new Error(`helm template failed: ${res.stderr}`);
  return parseAllDocuments(res.stdout)
    .map((d) => d.toJSON() as Obj | null)
    .filter((o): o is Obj => o !== null);
}
