/**
 * Greeter specs the API and the CRD must treat alike: valid ones (with the defaults they get), ones plain OpenAPI
 * rejects, and ones only a CEL rule (in the CRD) or a refinement (in zod) rejects. Shared by the unit test that
 * compares the CRD with the zod schema and the integration test that sends them to a real API server.
 */

export type Sample = { name: string; spec: unknown; cel?: { path: string; message?: string } };

export const valid: Sample[] = [
  { name: "empty spec", spec: {} },
  { name: "scaled to zero", spec: { replicas: 0 } },
  { name: "max replicas", spec: { replicas: 100 } },
  { name: "unknown fields are dropped", spec: { foo: 1, service: { bar: true } } },
  {
    name: "every field",
    spec: {
      replicas: 3,
      greeting: "Bonjour, {name} !",
      image: "registry.example/greeter:1.2.3",
      resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { cpu: 1, memory: "128Mi" } },
      service: { type: "NodePort", port: 8080, nodePort: 30080 },
      monitoring: { enabled: false, interval: "1m30s", labels: { release: "kube-prometheus-stack" } },
      nodeSelector: { "kubernetes.io/os": "linux" },
      tolerations: [{ key: "dedicated", operator: "Equal", value: "greeters", effect: "NoSchedule" }],
      affinity: {
        nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } },
      },
      paused: true,
    },
  },
  { name: "LoadBalancer without nodePort", spec: { service: { type: "LoadBalancer" } } },
  {
    name: "network policy with every peer",
    spec: {
      networkPolicy: {
        enabled: true,
        namespaces: ["shop", "checkout"],
        namespaceSelector: {
          matchLabels: { team: "web" },
          matchExpressions: [
            { key: "env", operator: "NotIn", values: ["dev"] },
            { key: "tier", operator: "Exists" },
          ],
        },
        ipBlocks: [{ cidr: "0.0.0.0/0", except: ["169.254.169.254/32"] }, { cidr: "2001:db8::/32" }],
        monitoringNamespaces: ["prometheus"],
      },
    },
  },
  {
    name: "network policy closed to everyone",
    spec: { networkPolicy: { enabled: true, monitoringNamespaces: [] } },
  },
  { name: "NodePort on the metrics port number", spec: { service: { type: "NodePort", port: 9464 } } },
  {
    name: "quantities with exponents",
    spec: { resources: { requests: { memory: "1e9" }, limits: { memory: "1G" } } },
  },
  { name: "interval 0", spec: { monitoring: { interval: "0" } } },
  { name: "Exists toleration", spec: { tolerations: [{ operator: "Exists" }] } },
];

export const invalid: Sample[] = [
  { name: "negative replicas", spec: { replicas: -1 } },
  { name: "too many replicas", spec: { replicas: 101 } },
  { name: "fractional replicas", spec: { replicas: 1.5 } },
  { name: "replicas as string", spec: { replicas: "3" } },
  { name: "empty greeting", spec: { greeting: "" } },
  { name: "long greeting", spec: { greeting: `{name}${"x".repeat(251)}` } },
  { name: "empty image", spec: { image: "" } },
  { name: "ExternalName service", spec: { service: { type: "ExternalName" } } },
  { name: "port 0", spec: { service: { port: 0 } } },
  { name: "port 65536", spec: { service: { port: 65536 } } },
  { name: "nodePort outside range", spec: { service: { type: "NodePort", nodePort: 80 } } },
  { name: "interval without unit", spec: { monitoring: { interval: "30" } } },
  { name: "empty interval", spec: { monitoring: { interval: "" } } },
  { name: "monitoring.enabled as string", spec: { monitoring: { enabled: "yes" } } },
  { name: "bad label value", spec: { monitoring: { labels: { release: "-x" } } } },
  { name: "long label value", spec: { nodeSelector: { a: "x".repeat(64) } } },
  { name: "negative quantity", spec: { resources: { requests: { cpu: "-1" } } } },
  { name: "bad quantity unit", spec: { resources: { limits: { memory: "1GB" } } } },
  { name: "fractional number quantity", spec: { resources: { limits: { cpu: 1.5 } } } },
  { name: "unknown toleration operator", spec: { tolerations: [{ operator: "In" }] } },
  {
    name: "too many tolerations",
    spec: { tolerations: Array.from({ length: 33 }, () => ({ operator: "Exists" })) },
  },
  {
    name: "too many node selector labels",
    spec: { nodeSelector: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, "v"])) },
  },
  { name: "paused as string", spec: { paused: "true" } },
  { name: "namespace name with capitals", spec: { networkPolicy: { namespaces: ["Shop"] } } },
  {
    name: "unknown selector operator",
    spec: { networkPolicy: { namespaceSelector: { matchExpressions: [{ key: "a", operator: "Gt" }] } } },
  },
  { name: "ipBlock without cidr", spec: { networkPolicy: { ipBlocks: [{ except: ["10.0.0.0/8"] }] } } },
  { name: "ipBlock that is not an address", spec: { networkPolicy: { ipBlocks: [{ cidr: "everyone" }] } } },
];

export const celOnly: Sample[] = [
  {
    name: "greeting without {name}",
    spec: { greeting: "Hi" },
    cel: { path: "greeting", message: "greeting must contain {name}" },
  },
  {
    name: "nodePort on ClusterIP",
    spec: { service: { nodePort: 30080 } },
    cel: { path: "service", message: "nodePort requires service type NodePort or LoadBalancer" },
  },
  {
    name: "request above limit",
    spec: { resources: { requests: { memory: "1Gi" }, limits: { memory: "512Mi" } } },
    cel: { path: "resources", message: "every resource request must be less than or equal to its limit" },
  },
  {
    name: "Exists toleration with a value",
    spec: { tolerations: [{ operator: "Exists", value: "x" }] },
    cel: { path: "tolerations.[]", message: "value must be empty when operator is Exists" },
  },
  {
    name: "ClusterIP on the metrics port",
    spec: { service: { port: 9464 } },
    cel: { path: "service", message: "port 9464 is the metrics port of a ClusterIP Greeter's Service" },
  },
  {
    name: "In without values",
    spec: { networkPolicy: { namespaceSelector: { matchExpressions: [{ key: "team", operator: "In" }] } } },
    cel: {
      path: "networkPolicy.namespaceSelector.matchExpressions.[]",
      message: "values must be non-empty for In and NotIn, and empty for Exists and DoesNotExist",
    },
  },
  {
    name: "Exists with values",
    spec: {
      networkPolicy: {
        namespaceSelector: { matchExpressions: [{ key: "team", operator: "Exists", values: ["x"] }] },
      },
    },
    cel: { path: "networkPolicy.namespaceSelector.matchExpressions.[]" },
  },
  {
    name: "CIDR prefix too long",
    spec: { networkPolicy: { ipBlocks: [{ cidr: "10.0.0.0/33" }] } },
    cel: { path: "networkPolicy.ipBlocks.[].cidr", message: "must be a CIDR such as 10.0.0.0/8" },
  },
  {
    name: "IPv4 octet above 255",
    spec: { networkPolicy: { ipBlocks: [{ cidr: "10.0.0.0/8", except: ["10.300.0.0/16"] }] } },
    cel: { path: "networkPolicy.ipBlocks.[].except.[]", message: "must be a CIDR such as 10.0.0.0/8" },
  },
  {
    name: "bad label key",
    spec: { monitoring: { labels: { "bad key!": "x" } } },
    cel: { path: "monitoring.labels" },
  },
];
