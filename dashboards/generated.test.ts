import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DASHBOARDS, renderDashboard } from "./src/index.ts";

describe.each(DASHBOARDS)("dashboards/$file", ({ file, build }) => {
  it("is what `npm run generate` writes from dashboards/src (run it and commit the JSON if this fails)", () => {
    const committed = readFileSync(join(import.meta.dirname, file), "utf8");
    expect(committed).toBe(renderDashboard(build()));
  });
});
