/**
 * Writes charts/greeter-operator from config/ (hack/chart/chart.ts), removing files the chart no longer has.
 * Runs after generate-crd.ts and generate-dashboards.ts (`npm run generate` runs them in name order): the
 * chart copies their output.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { CHART_DIR, committedFiles, renderChart } from "./chart/chart.ts";

const files = renderChart();
mkdirSync(CHART_DIR, { recursive: true });
for (const stale of committedFiles().filter((f) => !files.has(f))) rmSync(join(CHART_DIR, stale));
for (const [file, content] of files) {
  mkdirSync(dirname(join(CHART_DIR, file)), { recursive: true });
  writeFileSync(join(CHART_DIR, file), content);
}
console.log(`generate-helm-chart: wrote ${files.size} files to charts/greeter-operator`);
