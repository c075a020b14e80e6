/**
 * Starts the operator, wiring only: configuration → API client → informers → probes and metrics → leader
 * election → the Greeter controller. SIGTERM or SIGINT stops taking work, lets in-flight reconciles finish
 * (SHUTDOWN_TIMEOUT) while the Lease is still renewed, releases the Lease last and exits 0; a second signal
 * exits at once.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { REPORTING_CONTROLLER } from "./api/v1alpha1/constants.ts";
import { type Config, ConfigError, loadConfig } from "./config.ts";
import { GreeterController } from "./controller/greeter-controller.ts";
import { type ClusterAccess, loadClusterAccess } from "./runtime/cluster-access.ts";
import { createDelegatedAuthMetrics, DelegatedAuth } from "./runtime/delegated-auth.ts";
import { EventRecorder } from "./runtime/event-recorder.ts";
import { KubeClient } from "./runtime/kube-client.ts";
import { LeaderElector, type Lease } from "./runtime/leader-election.ts";
import { MemoryTrim } from "./runtime/memory-trim.ts";
import { knownTypes } from "./runtime/resource.ts";
import { ResourceClient } from "./runtime/resource-client.ts";
import { ServingCert } from "./runtime/serving-cert.ts";
import { shutdownBudgetMs } from "./shutdown-budget.ts";
import { startMetricsServer, startProbeServer } from "./telemetry/http-servers.ts";
import { createLogger } from "./telemetry/logger.ts";
import { createOperatorMetrics } from "./telemetry/metrics.ts";

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`greeter-operator: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

const config = readConfig();
const log = createLogger(config.logLevel);
process.on("uncaughtException", (err) => {
  log.fatal({ err }, "uncaught exception");
  process.exit(1);
});
process.on("unhandledRejection", (err) => {
  log.fatal({ err }, "unhandled rejection");
  process.exit(1);
});

const metrics = createOperatorMetrics();
let access: ClusterAccess;
try {
  // $KUBECONFIG, else ~/.kube/config, else (in a pod) the service account.
  access = await loadClusterAccess();
} catch (err) {
  log.fatal({ err }, "cannot load a kubeconfig");
  process.exit(1);
}
const client = new KubeClient(access, { metrics: metrics.rest, userAgent: "greeter-operator" });
const recorder = new EventRecorder({
  events: new ResourceClient(client, knownTypes.events),
  reportingController: REPORTING_CONTROLLER,
  reportingInstance: config.identity,
  log,
});
const greeters = new GreeterController({ client, recorder, log, ...config, metrics });
metrics.countGreeters(() => greeters.countByCondition());

const stop = new AbortController();
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    if (stop.signal.aborted) {
      log.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    log.info({ signal }, "shutting down");
    stop.abort();
    // A stuck shutdown must not outlive the kubelet's grace period unnoticed.
    setTimeout(() => {
      log.error("shutdown did not finish in time; exiting");
      process.exit(1);
    }, shutdownBudgetMs(config.shutdownTimeoutMs)).unref();
  });
}

for (const informer of greeters.informers) informer.start();
const memoryTrim = new MemoryTrim({ log });
memoryTrim.start();
const metricsServer = await startMetricsServer(config.metricsBindAddress, metrics.registry, {
  log,
  ...(config.metricsSecure ? secureMetrics() : {}),
});
const probeServer = await startProbeServer(
  config.healthProbeBindAddress,
  greeters.informers.map((i) => ({
    name: `informer ${i.name}`,
    check: () => (!i.hasSynced ? "not synced" : !i.isFresh() ? "watch is stale" : undefined),
  })),
);
log.info(
  {
    cluster: access.server,
    namespaces: config.watchNamespaces.length ? config.watchNamespaces : "all",
    metrics: config.metricsBindAddress,
    metricsSecure: config.metricsSecure,
    probes: config.healthProbeBindAddress,
    leaderElect: config.leaderElect,
    greeterImage: config.greeterImage,
  },
  "greeter-operator starting",
);

if (config.leaderElect) {
  const elector = new LeaderElector({
    leases: new ResourceClient<Lease>(client, knownTypes.leases),
    namespace: config.leaderElectionNamespace,
    name: config.leaderElectionId,
    identity: `${config.identity}_${randomUUID()}`,
    log,
    metrics: metrics.leaderElection,
  });
  await elector.run((signal, lost) => greeters.run(signal, lost), stop.signal);
} else {
  await greeters.run(stop.signal);
}

/** HTTPS, each request authorized by the API server (kubebuilder's default, config.ts --metrics-secure). */
function secureMetrics() {
  let tls: ServingCert;
  try {
    tls = new ServingCert({
      certDir: config.metricsCertPath,
      selfSigned: {
        commonName: "greeter-operator-metrics",
        altNames: ["localhost", hostname(), "127.0.0.1", "::1"],
      },
      log,
    });
  } catch (err) {
    log.fatal({ err, dir: config.metricsCertPath }, "cannot load the metrics serving certificate");
    process.exit(1);
  }
  log.info(
    { source: tls.source },
    "metrics served over HTTPS, authorized by TokenReview and SubjectAccessReview",
  );
  const auth = new DelegatedAuth({ client, metrics: createDelegatedAuthMetrics(metrics.registry) });
  return { tls, auth };
}

memoryTrim.stop();
await Promise.all(greeters.informers.map((i) => i.stop()));
await Promise.all([metricsServer.close(), probeServer.close(), client.close()]);
log.info("stopped");
process.exit(0);
