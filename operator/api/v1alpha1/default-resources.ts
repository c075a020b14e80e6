/**
 * The compute resources of a Greeter that sets no spec.resources: the CRD's schema default (greeter.ts), so the
 * API server stores them and `kubectl explain` shows them. Derived from `npm run bench`'s run of the greeter
 * under these very limits (bench/results/greeter-pod.md); the derivation is in docs/greeter.md.
 */
export const DEFAULT_GREETER_RESOURCES = {
  requests: { cpu: "50m", memory: "128Mi" },
  limits: { memory: "256Mi" },
} as const;
