// A client inside the cluster: a Pod that runs a Node.js script from the greeter image (present on the node,
// so nothing is pulled) and talks to Services by ClusterIP, through kube-proxy, as another workload would.
// It passes the `restricted` Pod Security level. The script prints one JSON line as its result.
import { stringify } from "yaml";
import { eventually, kubectl } from "../cluster/testing.ts";
import { must } from "../support/greeters.ts";

export const CLIENT_IMAGE = "greeter:0.1.0";

export interface ClientPod {
  name: string;
  /** Waits for the script to end and returns its last output line, parsed. */
  result<T>(timeoutMs?: number): Promise<T>;
  /** Waits until the script has printed this line. */
  waitForLine(line: string, timeoutMs?: number): Promise<void>;
  /** Asks a long-running script to stop (it watches /work/stop). */
  stop(): Promise<void>;
  delete(): Promise<void>;
}

export async function startClientPod(
  namespace: string,
  name: string,
  script: string,
  env: Record<string, string> = {},
): Promise<ClientPod> {
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: { "app.kubernetes.io/name": "e2e-client" } },
    spec: {
      restartPolicy: "Never",
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: "RuntimeDefault" } },
      containers: [
        {
          name: "client",
          image: CLIENT_IMAGE,
          imagePullPolicy: "Never",
          command: ["/nodejs/bin/node", "--input-type=module", "-e", script],
          env: Object.entries(env).map(([k, v]) => ({ name: k, value: v })),
          volumeMounts: [{ name: "work", mountPath: "/work" }],
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
          },
        },
      ],
      volumes: [{ name: "work", emptyDir: {} }],
    },
  };
  await must(["apply", "-f", "-"], namespace, stringify(pod));
  const phase = async () =>
    (await must(["get", "pod", name, "-o", "jsonpath={.status.phase}"], namespace)).trim();
  return {
    name,
    async result<T>(timeoutMs = 180_000): Promise<T> {
      const done = await eventually(
        `client pod ${name} to finish`,
        async () => {
          const p = await phase();
          return p === "Succeeded" || p === "Failed" ? p : undefined;
        },
        timeoutMs,
      );
      const logs = await must(["logs", name], namespace);
      if (done !== "Succeeded") throw new Error(`client pod ${name} ${done}:\n${logs}`);
      const last = logs.trim().split("\n").at(-1) ?? "";
      return JSON.parse(last) as T;
    },
    async waitForLine(line: string, timeoutMs = 120_000) {
      await eventually(
        `client pod ${name} to print "${line}"`,
        async () => {
          const res = await kubectl(["logs", name], { namespace });
          return res.code === 0 && res.stdout.split("\n").includes(line);
        },
        timeoutMs,
      );
    },
    async stop() {
      const res = await kubectl(
        ["exec", name, "--", "/nodejs/bin/node", "-e", "require('node:fs').writeFileSync('/work/stop', '')"],
        { namespace },
      );
      if (res.code !== 0) throw new Error(`stopping client pod ${name}: ${res.stderr}`);
    },
    async delete() {
      await kubectl(["delete", "pod", name, "--wait=false", "--ignore-not-found"], { namespace });
    },
  };
}

export async function waitForRunning(namespace: string, name: string, timeoutMs = 120_000): Promise<void> {
  await eventually(
    `pod ${name} running`,
    async () =>
      (await must(["get", "pod", name, "-o", "jsonpath={.status.phase}"], namespace)).trim() === "Running",
    timeoutMs,
  );
}

export async function clusterIP(namespace: string, service: string): Promise<string> {
  const ip = (await must(["get", "service", service, "-o", "jsonpath={.spec.clusterIP}"], namespace)).trim();
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip))
    throw new Error(`service ${namespace}/${service} has no ClusterIP: "${ip}"`);
  return ip;
}

/**
 * One POST /echo-name, and the metrics of the given URLs, from inside the cluster. An https URL (the
 * operator's, self-signed) is read without a certificate check, once without a token (out.anonymous) and
 * once with METRICS_TOKEN.
 */
export const PROBE_SCRIPT = `
import { request } from "node:https";
const getHttps = (url, token) => new Promise((resolve, reject) => {
  const headers = token ? { authorization: "Bearer " + token } : {};
  request(url, { rejectUnauthorized: false, headers, timeout: 10000 }, (res) => {
    let text = "";
    res.setEncoding("utf8").on("data", (c) => (text += c)).on("end", () => resolve({ status: res.statusCode, text }));
  }).on("error", reject).end();
});
const out = {};
const echo = await fetch(process.env.ECHO_URL, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ name: process.env.NAME }),
});
out.echo = { status: echo.status, body: await echo.json() };
out.metrics = {};
out.anonymous = {};
for (const url of (process.env.METRICS_URLS ?? "").split(" ").filter(Boolean)) {
  if (url.startsWith("https:")) {
    out.anonymous[url] = (await getHttps(url)).status;
    out.metrics[url] = await getHttps(url, process.env.METRICS_TOKEN);
    continue;
  }
  const r = await fetch(url);
  out.metrics[url] = { status: r.status, text: await r.text() };
}
console.log(JSON.stringify(out));
`;

export interface StreamResult {
  ok: number;
  non200: Record<string, number>;
  errors: Record<string, number>;
  greetings: Record<string, number>;
  seconds: number;
}

/**
 * A steady stream of POST /echo-name from CONCURRENCY keep-alive loops until /work/stop appears (or MAX_S
 * seconds pass: the loop is bounded), counting every answer that is not a 200 and every connection error.
 * "started" is printed after the first answer, so a test knows the stream is flowing before it changes things.
 */
export const STREAM_SCRIPT = `
import { existsSync } from "node:fs";
const url = process.env.ECHO_URL;
const max = Number(process.env.MAX_S ?? "240") * 1000;
const start = Date.now();
const r = { ok: 0, non200: {}, errors: {}, greetings: {}, seconds: 0 };
let announced = false;
const bump = (m, k) => { m[k] = (m[k] ?? 0) + 1; };
async function loop(i) {
  while (!existsSync("/work/stop") && Date.now() - start < max) {
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "Zoë" }),
        signal: AbortSignal.timeout(5000),
      });
      const body = await res.text();
      if (res.status === 200) { r.ok++; bump(r.greetings, JSON.parse(body).message); }
      else bump(r.non200, String(res.status));
    } catch (e) {
      bump(r.errors, String(e?.cause?.code ?? e?.name ?? e));
    }
    if (!announced) { announced = true; console.log("started"); }
    await new Promise((f) => setTimeout(f, 10));
  }
}
await Promise.all(Array.from({ length: Number(process.env.CONCURRENCY ?? "4") }, (_, i) => loop(i)));
r.seconds = (Date.now() - start) / 1000;
console.log(JSON.stringify(r));
`;

/**
 * The traffic a user's clients send, in rounds until /work/stop appears (or MAX_S seconds pass): greetings in
 * the three input forms, and the client mistakes a dashboard shows as 4xx (no name, malformed JSON, wrong
 * media type, wrong method, unknown path). BASE_URL is the Service's root. Prints the count of each status.
 */
export const MIXED_TRAFFIC_SCRIPT = `
import { existsSync } from "node:fs";
const base = process.env.BASE_URL;
const max = Number(process.env.MAX_S ?? "240") * 1000;
const start = Date.now();
const json = { "content-type": "application/json" };
const round = [
  ["/echo-name", { method: "POST", headers: json, body: JSON.stringify({ name: "Ada" }) }],
  ["/echo-name", { method: "POST", headers: json, body: JSON.stringify({ name: "Zoë" }) }],
  ["/echo-name", { method: "POST", body: new URLSearchParams({ name: "Ayşe" }) }],
  ["/echo-name?name=Li", { method: "POST" }],
  ["/echo-name", { method: "POST", headers: json, body: "{}" }],
  ["/echo-name", { method: "POST", headers: json, body: "{not json" }],
  ["/echo-name", { method: "POST", headers: { "content-type": "text/xml" }, body: "<n/>" }],
  ["/echo-name", { method: "GET" }],
  ["/wp-login.php", { method: "GET" }],
];
const statuses = {};
let announced = false;
while (!existsSync("/work/stop") && Date.now() - start < max) {
  for (const [path, init] of round) {
    try {
      const res = await fetch(base + path, { ...init, signal: AbortSignal.timeout(5000) });
      await res.arrayBuffer();
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    } catch (e) {
      statuses.error = (statuses.error ?? 0) + 1;
    }
  }
  if (!announced) { announced = true; console.log("started"); }
  await new Promise((f) => setTimeout(f, 50));
}
console.log(JSON.stringify(statuses));
`;
