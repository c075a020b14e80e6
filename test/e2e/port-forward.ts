/** `kubectl port-forward` as the e2e tests use it: a local URL for a Service or Pod port of the kind cluster. */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { testKubeconfig } from "../cluster/testing.ts";

export interface PortForward {
  /** http://127.0.0.1:<local port> */
  url: string;
  close(): Promise<void>;
}

/**
 * Forwards a free loopback port to `target` (e.g. `service/hello`, `pod/x`) port `remotePort`. Through a
 * Service, kubectl picks one ready Pod behind it and stays with that Pod.
 */
export function portForward(namespace: string, target: string, remotePort: number): Promise<PortForward> {
  const child = spawn(
    "kubectl",
    ["port-forward", "--namespace", namespace, "--address", "127.0.0.1", target, `:${remotePort}`],
    { env: { ...process.env, KUBECONFIG: testKubeconfig() }, stdio: ["ignore", "pipe", "pipe"] },
  );
  const exited = once(child, "exit");
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await exited;
    }
  };
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    const timer = setTimeout(() => {
      void close();
      reject(new Error(`kubectl port-forward ${target}: no local port after 30 s: ${err.trim()}`));
    }, 30_000);
    child.stderr.on("data", (c: Buffer) => {
      err += c.toString();
    });
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /Forwarding from 127\.0\.0\.1:(\d+) ->/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ url: `http://127.0.0.1:${m[1]}`, close });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`kubectl port-forward ${target} exited (${code}): ${err.trim()}`));
    });
  });
}
