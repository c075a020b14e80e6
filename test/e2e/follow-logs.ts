/** `kubectl logs -f` of the pods a selector matches, kept in memory: what they said survives their deletion. */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { testKubeconfig } from "../cluster/testing.ts";

export interface FollowedLogs {
  /** The lines so far, each prefixed with its pod and container. */
  lines(): string[];
  close(): Promise<void>;
}

export function followLogs(namespace: string, selector: string): FollowedLogs {
  const child = spawn(
    "kubectl",
    [
      "logs",
      "--namespace",
      namespace,
      "-l",
      selector,
      "-f",
      "--prefix",
      "--tail=-1",
      "--max-log-requests=10",
    ],
    { env: { ...process.env, KUBECONFIG: testKubeconfig() }, stdio: ["ignore", "pipe", "pipe"] },
  );
  const exited = once(child, "exit");
  let out = "";
  child.stdout.on("data", (c: Buffer) => {
    out += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    out += c.toString();
  });
  return {
    lines: () => out.split("\n").filter((l) => l !== ""),
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}
