// Usage: node test/e2e/upstream-crds.ts
// Prints the paths of the prometheus-operator ServiceMonitor and PrometheusRule CRD files, one a line, at the
// version the local control plane pins (hack/control-plane/crds/go.mod), so a kind cluster gets the same CRDs.
import { prometheusOperatorCrdFile } from "../cluster/upstream.ts";

for (const name of ["servicemonitors", "prometheusrules"] as const) {
  console.log(await prometheusOperatorCrdFile(name));
}
