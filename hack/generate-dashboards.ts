/** Writes dashboards/*.json from the TypeScript sources in dashboards/src (`npm run generate`). */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { DASHBOARDS, renderDashboard } from "../dashboards/src/index.ts";

const outDir = join(import.meta.dirname, "..", "dashboards");
for (const { file, build } of DASHBOARDS) {
  writeFileSync(join(outDir, file), renderDashboard(build()));
  console.log(`generate-dashboards: wrote dashboards/${file}`);
}
