/**
 * Builds both images once per run with hack/images.sh (which starts dockerd when needed and prints the image
 * sizes), and on teardown removes any container a crashed test left behind. Ryuk, testcontainers' own
 * reaper, cannot be pulled here, so the project config turns it off and cleanup is ours.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { TEST_LABEL } from "./images.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

export function setup(): void {
  const build = spawnSync("bash", ["hack/images.sh"], { cwd: root, stdio: "inherit" });
  if (build.status !== 0) throw new Error(`hack/images.sh failed (exit ${build.status})`);
}

export function teardown(): void {
  const ids = execFileSync("docker", ["ps", "-aq", "--filter", `label=${TEST_LABEL}`], { encoding: "utf8" })
    .split("\n")
    .filter((id) => id !== "");
  if (ids.length > 0) execFileSync("docker", ["rm", "-f", ...ids], { stdio: "ignore" });
}
