/**
 * The operator's configuration, from command-line flags or environment variables (a flag wins), validated
 * with zod once at startup and frozen. A bad value is a ConfigError naming every offending setting; main.ts
 * prints it and exits 1. Nothing else in operator/ reads process.env.
 *
 * | flag                          | env                       | default                 |
 * | ----------------------------- | ------------------------- | ----------------------- |
 * | --watch-namespaces a,b        | WATCH_NAMESPACES          | "" (all namespaces)     |
 * | --greeter-image               | GREETER_IMAGE             | greeter:0.1.0           |
 * | --workers                     | WORKERS                   | 2                       |
 * | --resync-period               | RESYNC_PERIOD             | 10h                     |
 * | --leader-elect                | LEADER_ELECT              | false                   |
 * | --leader-election-namespace   | LEADER_ELECTION_NAMESPACE | POD_NAMESPACE, in-cluster namespace, "default" |
 * | --leader-election-id          | LEADER_ELECTION_ID        | greeter-operator        |
 * | --metrics-bind-address        | METRICS_ADDR              | :8443 (:8080 when not secure) |
 * | --metrics-secure              | METRICS_SECURE            | true                    |
 * | --metrics-cert-path           | METRICS_CERT_PATH         | "" (self-signed, in memory) |
 * | --health-probe-bind-address   | PROBE_ADDR                | :8081                   |
 * | --log-level                   | LOG_LEVEL                 | info                    |
 * | --shutdown-timeout            | SHUTDOWN_TIMEOUT          | 30s                     |
 * | (identity)                    | POD_NAME                  | hostname                |
 *
 * Boolean flags take `--flag`, `--no-flag` or, as Go's flag package does, `--flag=true|false`.
 */
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { parseArgs } from "node:util";
import * as z from "zod";
import { parseDuration } from "./duration.ts";
import { parseBindAddress } from "./telemetry/http-servers.ts";
import { LOG_LEVELS } from "./telemetry/logger.ts";

const SERVICE_ACCOUNT_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Blank means unset: Kubernetes renders empty env values as "". */
const blank = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);

const duration = (min: number, fallback: string) =>
  z.preprocess(
    blank,
    z
      .string()
      .default(fallback)
      .transform((s, ctx) => {
        const ms = parseDuration(s);
        if (ms === undefined) {
          ctx.addIssue({
            code: "custom",
            message: `${JSON.stringify(s)} is not a duration like 30s, 5m or 10h`,
          });
          return z.NEVER;
        }
        if (ms < min) ctx.addIssue({ code: "custom", message: `must be at least ${min / 1000}s` });
        return ms;
      }),
  );

const boolean = (fallback: boolean) =>
  z.preprocess(
    (v) => (typeof v === "string" ? (v.trim() === "" ? undefined : v.trim().toLowerCase()) : v),
    z
      .union([z.boolean(), z.enum(["true", "false", "1", "0"])])
      .transform((v) => v === true || v === "true" || v === "1")
      .default(fallback),
  );

const bindAddress = (fallback: string) =>
  z.preprocess(
    blank,
    z
      .string()
      .default(fallback)
      .refine((s) => {
        try {
          const { port } = parseBindAddress(s);
          return port <= 65535;
        } catch {
          return false;
        }
      }, "must be host:port or :port"),
  );

const schema = z.object({
  watchNamespaces: z.preprocess(
    (v) =>
      typeof v === "string"
        ? v
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean)
        : v,
    z.array(z.string().regex(DNS_LABEL, "must be namespace names separated by commas")).default([]),
  ),
  greeterImage: z.preprocess(
    blank,
    z
      .string()
      .regex(/^[^\s]+$/, "must be an image reference without spaces")
      .default("greeter:0.1.0"),
  ),
  workers: z.preprocess(
    blank,
    z.coerce
      .number()
      .int("must be a whole number")
      .min(1, "must be at least 1")
      .max(64, "must be at most 64")
      .default(2),
  ),
  resyncPeriodMs: duration(10_000, "10h"),
  leaderElect: boolean(false),
  leaderElectionNamespace: z.string().regex(DNS_LABEL, "must be a namespace name"),
  leaderElectionId: z.preprocess(
    blank,
    z.string().regex(DNS_LABEL, "must be a DNS label (the Lease name)").default("greeter-operator"),
  ),
  metricsBindAddress: bindAddress(":8443"),
  metricsSecure: boolean(true),
  metricsCertPath: z.preprocess(blank, z.string().optional()),
  healthProbeBindAddress: bindAddress(":8081"),
  logLevel: z.preprocess(blank, z.enum(LOG_LEVELS).default("info")),
  shutdownTimeoutMs: duration(0, "30s"),
  identity: z.string().min(1).max(128),
});

export type Config = Readonly<z.output<typeof schema>>;

/** Each flag, the environment variable it may come from instead, and the schema key it sets. */
const flags = {
  "watch-namespaces": { env: "WATCH_NAMESPACES", key: "watchNamespaces" },
  "greeter-image": { env: "GREETER_IMAGE", key: "greeterImage" },
  workers: { env: "WORKERS", key: "workers" },
  "resync-period": { env: "RESYNC_PERIOD", key: "resyncPeriodMs" },
  "leader-elect": { env: "LEADER_ELECT", key: "leaderElect" },
  "leader-election-namespace": { env: "LEADER_ELECTION_NAMESPACE", key: "leaderElectionNamespace" },
  "leader-election-id": { env: "LEADER_ELECTION_ID", key: "leaderElectionId" },
  "metrics-bind-address": { env: "METRICS_ADDR", key: "metricsBindAddress" },
  "metrics-secure": { env: "METRICS_SECURE", key: "metricsSecure" },
  "metrics-cert-path": { env: "METRICS_CERT_PATH", key: "metricsCertPath" },
  "health-probe-bind-address": { env: "PROBE_ADDR", key: "healthProbeBindAddress" },
  "log-level": { env: "LOG_LEVEL", key: "logLevel" },
  "shutdown-timeout": { env: "SHUTDOWN_TIMEOUT", key: "shutdownTimeoutMs" },
} as const satisfies Record<string, { env: string; key: keyof z.input<typeof schema> }>;

const BOOLEAN_FLAGS = new Set(["leader-elect", "metrics-secure"]);

/** `--flag=false` as `--no-flag`, `--flag=true` as `--flag`: parseArgs takes no value for a boolean. */
function normalizeBooleans(argv: string[]): string[] {
  return argv.map((arg) => {
    const m = /^--([a-z-]+)=(true|false|1|0)$/i.exec(arg);
    if (!m || !BOOLEAN_FLAGS.has(m[1] as string)) return arg;
    const on = ["true", "1"].includes((m[2] as string).toLowerCase());
    return on ? `--${m[1]}` : `--no-${m[1]}`;
  });
}

export interface ConfigSources {
  argv?: string[];
  env?: Record<string, string | undefined>;
  /** Reads the in-cluster namespace file; injectable for tests. */
  readFile?: (path: string) => string | undefined;
  hostname?: () => string;
}

export function loadConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? process.env;
  const readFile = sources.readFile ?? readIfExists;
  let parsedArgs: Record<string, string | boolean | undefined>;
  try {
    parsedArgs = parseArgs({
      args: normalizeBooleans(sources.argv ?? process.argv.slice(2)),
      options: Object.fromEntries(
        Object.keys(flags).map((f) => [f, { type: BOOLEAN_FLAGS.has(f) ? "boolean" : "string" }]),
      ) as Record<string, { type: "string" | "boolean" }>,
      allowNegative: true,
      strict: true,
    }).values;
  } catch (err) {
    throw new ConfigError(
      `${(err as Error).message}\n  flags: ${Object.keys(flags)
        .map((f) => `--${f}`)
        .join(", ")}`,
    );
  }
  const input: Record<string, unknown> = {};
  for (const [flag, { env: envName, key }] of Object.entries(flags)) {
    input[key] = parsedArgs[flag] ?? env[envName];
  }
  input.leaderElectionNamespace =
    blank(input.leaderElectionNamespace) ??
    blank(env.POD_NAMESPACE) ??
    readFile(SERVICE_ACCOUNT_NAMESPACE)?.trim() ??
    "default";
  input.identity = blank(env.POD_NAME) ?? (sources.hostname ?? hostname)();
  // Plain HTTP keeps the port it always had; HTTPS takes kubebuilder's.
  if (
    blank(input.metricsBindAddress) === undefined &&
    /^(false|0)$/i.test(String(input.metricsSecure).trim())
  )
    input.metricsBindAddress = ":8080";

  const result = schema.safeParse(input);
  if (!result.success) {
    const byKey = new Map<string, string>(
      Object.entries(flags).map(([flag, { env: envName, key }]) => [key, `--${flag} / ${envName}`]),
    );
    const lines = result.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? "");
      return `  ${byKey.get(key) ?? key}: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
  }
  return Object.freeze(result.data);
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}
