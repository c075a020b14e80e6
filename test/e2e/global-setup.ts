// The e2e project needs a cluster with real nodes and config/default deployed (hack/e2e-kind.sh makes one);
// the local control plane's kwok nodes run no containers, so there is nothing to port-forward to.
export default function setup(): void {
  if (process.env.USE_EXISTING_CLUSTER !== "true" || !process.env.KUBECONFIG) {
    throw new Error(
      "the e2e project runs against a cluster with real nodes and config/default deployed: " +
        "npm run test:e2e:kind (or USE_EXISTING_CLUSTER=true KUBECONFIG=<kind kubeconfig> E2E=1 npx vitest run --project e2e)",
    );
  }
}
