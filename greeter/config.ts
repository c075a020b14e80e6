/**
 * The greeter's configuration: read from the environment once at startup, validated with zod, frozen.
 * A bad value is a ConfigError whose message names every offending variable; main.ts prints it and exits 1.
 * Nothing else in greeter/ reads process.env.
 */
import * as z from "zod";
import { parseByteSize } from "./byte-size.ts";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** An unset or blank variable means "use the default" (Kubernetes renders empty env values as ""). */
const optional = (value: unknown) => (typeof value === "string" && value.trim() === "" ? undefined : value);

const integer = (name: string, min: number, max: number, fallback: number) =>
  z.preprocess(
    optional,
    z
      .string()
      .regex(/^\s*\d+\s*$/, `${name} must be a whole number`)
      .transform(Number)
      .pipe(
        z
          .number()
          .int()
          .min(min, `${name} must be at least ${min}`)
          .max(max, `${name} must be at most ${max}`),
      )
      .default(fallback),
  );

const schema = z
  .object({
    PORT: integer("PORT", 0, 65535, 8080),
    METRICS_PORT: integer("METRICS_PORT", 0, 65535, 9464),
    HOST: z.preprocess(optional, z.string().optional()),
    GREETING: z.preprocess(
      optional,
      z
        .string()
        .max(1024, "GREETING must be at most 1024 characters")
        .refine(
          (s) => s.includes("{name}"),
          'GREETING must contain the placeholder "{name}", e.g. "Hello, {name}"',
        )
        .default("Hello, {name}"),
    ),
    NAME_MAX_LENGTH: integer("NAME_MAX_LENGTH", 1, 65536, 256),
    BODY_LIMIT: z.preprocess(
      optional,
      z
        .string()
        .transform((s, ctx) => {
          const bytes = parseByteSize(s);
          if (bytes === undefined || bytes < 16 || bytes > 10 * 1024 * 1024) {
            ctx.addIssue({
              code: "custom",
              message: `BODY_LIMIT must be a size between 16b and 10mb such as "1kb" or "2048", got "${s}"`,
            });
            return z.NEVER;
          }
          return bytes;
        })
        .default(1024),
    ),
    // Above the 60 s idle timeout of common L7 load balancers (AWS ALB, nginx ingress), so the balancer, not the
    // greeter, closes an idle connection; the other way round it may send a request on a closing one (a 502).
    KEEP_ALIVE_TIMEOUT_MS: integer("KEEP_ALIVE_TIMEOUT_MS", 1_000, 3_600_000, 65_000),
    SHUTDOWN_DELAY_MS: integer("SHUTDOWN_DELAY_MS", 0, 600_000, 5_000),
    DRAIN_TIMEOUT_MS: integer("DRAIN_TIMEOUT_MS", 0, 600_000, 10_000),
    LOG_LEVEL: z.preprocess(
      (v) => (typeof v === "string" ? optional(v.toLowerCase()) : v),
      z.enum(LOG_LEVELS, { error: `LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}` }).default("info"),
    ),
    // npm sets npm_package_version under `npm run`; images set VERSION explicitly.
    VERSION: z.preprocess(optional, z.string().max(128, "VERSION must be at most 128 characters").optional()),
    npm_package_version: z.string().optional(),
  })
  // Port 0 lets the OS pick a free port for each listener (tests), so only fixed ports can collide.
  .refine((e) => e.PORT === 0 || e.PORT !== e.METRICS_PORT, {
    path: ["METRICS_PORT"],
    message: "METRICS_PORT must differ from PORT: /metrics has its own listener",
  });

export type LogLevel = (typeof LOG_LEVELS)[number];

export type Config = Readonly<{
  port: number;
  /** The metrics listener: only GET /metrics, apart from the public port so a public Service never carries it. */
  metricsPort: number;
  /** Interface to bind; undefined lets Node listen on every address (IPv4 and IPv6). */
  host: string | undefined;
  greeting: string;
  nameMaxLength: number;
  bodyLimitBytes: number;
  /** How long an idle keep-alive connection stays open, advertised in `Keep-Alive: timeout=`. */
  keepAliveTimeoutMs: number;
  /** After SIGTERM, how long the greeter keeps serving new connections before it drains. */
  shutdownDelayMs: number;
  drainTimeoutMs: number;
  logLevel: LogLevel;
  version: string;
}>;

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Parses the environment once; throws ConfigError listing every invalid variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = schema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const variable = issue.path.join(".");
      return issue.message.startsWith(variable)
        ? `  - ${issue.message}`
        : `  - ${variable}: ${issue.message}`;
    });
    throw new ConfigError(`invalid greeter configuration:\n${lines.join("\n")}`);
  }
  const e = result.data;
  return Object.freeze({
    port: e.PORT,
    metricsPort: e.METRICS_PORT,
    host: e.HOST,
    greeting: e.GREETING,
    nameMaxLength: e.NAME_MAX_LENGTH,
    bodyLimitBytes: e.BODY_LIMIT,
    keepAliveTimeoutMs: e.KEEP_ALIVE_TIMEOUT_MS,
    shutdownDelayMs: e.SHUTDOWN_DELAY_MS,
    drainTimeoutMs: e.DRAIN_TIMEOUT_MS,
    logLevel: e.LOG_LEVEL,
    version: e.VERSION ?? e.npm_package_version ?? "unknown",
  });
}
