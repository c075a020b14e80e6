import { defineConfig } from "vitest/config";

// Three tiers, run together by `npm test`:
// - unit: pure code, no processes beyond the test's own servers;
// - integration: against a real control plane (started once by test/cluster/global-setup.ts) and real Prometheus;
// - images: the built container images, driven with testcontainers.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: [
            "greeter/**/*.test.ts",
            "operator/**/*.test.ts",
            "dashboards/**/*.test.ts",
            "hack/**/*.test.ts",
            "config/**/*.test.ts",
          ],
          testTimeout: 20_000,
        },
      },
      {
        // Real external processes on loopback (Prometheus, promtool, spawned servers), no cluster.
        test: {
          name: "system",
          include: ["test/system/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        // One local control plane for all files (or USE_EXISTING_CLUSTER=true with KUBECONFIG); each test
        // works in its own namespace. Files run one after another: some restart the API server.
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          globalSetup: ["test/cluster/global-setup.ts"],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        // The container images, built once by hack/images.sh in the global setup and run with testcontainers;
        // the operator image runs against its own local control plane (as in integration).
        // Ryuk (its reaper image) cannot be pulled here; the tests and the teardown clean up instead.
        test: {
          name: "images",
          include: ["test/images/**/*.test.ts"],
          globalSetup: ["test/images/global-setup.ts", "test/cluster/global-setup.ts"],
          env: { TESTCONTAINERS_RYUK_DISABLED: "true" },
          testTimeout: 120_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
      // Real nodes (kind) with config/default deployed: only `npm run test:e2e:kind` (hack/e2e-kind.sh) sets
      // E2E=1, so `npm test` never includes it; hack/run-tests.sh (make test, .ci/run) runs that script after npm test.
      ...(process.env.E2E === "1"
        ? [
            {
              test: {
                name: "e2e",
                include: ["test/e2e/**/*.test.ts"],
                globalSetup: ["test/e2e/global-setup.ts", "test/cluster/global-setup.ts"],
                testTimeout: 300_000,
                hookTimeout: 300_000,
                fileParallelism: false,
              },
            },
          ]
        : []),
    ],
  },
});
