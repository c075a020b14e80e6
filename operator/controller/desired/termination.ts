/**
 * How a greeter pod ends, in the order the kubelet runs it. Endpoint removal and the preStop hook start together
 * when the pod is deleted, so the preStop sleep covers the time kube-proxy and ingress controllers take to stop
 * sending new connections. The greeter does not know it is terminating until SIGTERM, which comes after the
 * sleep; endpoint updates never move a keep-alive connection that is already open, so its own shutdown delay
 * then answers every request with `Connection: close` and closes idle keep-alive connections, while it still
 * accepts the reconnects. Then it drains. The env values are set rather than
 * left to the image's defaults, because spec.image can be any greeter version and the grace period is
 * computed from them.
 */

export const PRE_STOP_SLEEP_SECONDS = 5;
export const GREETER_SHUTDOWN_DELAY_MS = 5_000;
export const GREETER_DRAIN_TIMEOUT_MS = 10_000;
/** Room for the greeter's log flush before exit (at most 2 s) and for the kubelet and runtime. */
const MARGIN_SECONDS = 5;

/** The kubelet's countdown covers the preStop hook too; after it, the container is killed. */
export const TERMINATION_GRACE_PERIOD_SECONDS =
  PRE_STOP_SLEEP_SECONDS +
  Math.ceil((GREETER_SHUTDOWN_DELAY_MS + GREETER_DRAIN_TIMEOUT_MS) / 1000) +
  MARGIN_SECONDS;
