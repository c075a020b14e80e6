/**
 * `npm run generate`: runs every hack/generate-*.ts in name order, each in its own process, and stops at the
 * first failure. Add a generator by adding a file; nothing to register.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";

const generators = readdirSync(import.meta.dirname)
  .filter((f) => /^generate-.+\.ts$/.test(f) && !f.endsWith(".test.ts"))
  .sort();
for (const file of generators) {
  console.log(`==> ${file}`);
  const { status } = spawnSync(process.execPath, [join(import.meta.dirname, file)], { stdio: "inherit" });
  if (status !== 0) process.exit(status ?? 1);
}
