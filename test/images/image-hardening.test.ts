import { readFileSync } from "node:fs";
import { getContainerRuntimeClient, ImageName, type StartedTestContainer } from "testcontainers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GREETER_IMAGE, HardenedContainer, OPERATOR_IMAGE } from "./images.ts";

// Runs inside the image with its own node (distroless images have no shell): prints every path on the root
// filesystem it can read, and how PID 1 (the image's entrypoint) runs.
const INSPECT = `
const fs = require("node:fs");
const paths = [];
const unreadable = [];
const walk = (dir) => {
  let entries;
  try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { unreadable.push(dir); return; }
  for (const e of entries) {
    const p = (dir === "/" ? "" : dir) + "/" + e.name;
    if (["/proc", "/sys", "/dev"].includes(p)) continue;
    paths.push(p);
    if (e.isDirectory()) walk(p);
  }
};
walk("/");
const status = fs.readFileSync("/proc/1/status", "utf8");
console.log(JSON.stringify({ paths, unreadable, status }));
`;

const WRITE = `
const fs = require("node:fs");
const out = {};
for (const p of ["/app/probe", "/tmp/probe", "/home/nonroot/probe"]) {
  try { fs.writeFileSync(p, "x"); out[p] = "written"; } catch (e) { out[p] = e.code; }
}
console.log(JSON.stringify(out));
`;

type Inspection = { paths: string[]; unreadable: string[]; status: string };
type Lock = { packages: Record<string, { dev?: boolean }> };
const lock = JSON.parse(readFileSync(new URL("../../package-lock.json", import.meta.url), "utf8")) as Lock;
const devOnly = new Set(
  Object.entries(lock.packages)
    .filter(([, p]) => p.dev === true)
    .map(([path]) => `/app/${path}`),
);

const images = [
  { name: "greeter", image: GREETER_IMAGE },
  { name: "operator", image: OPERATOR_IMAGE },
];

describe.each(images)("$name image", ({ image }) => {
  let container: StartedTestContainer;
  let paths: string[];
  let pid1: string;

  beforeAll(async () => {
    // Idle on the image's own node, user and hardening, so the filesystem can be inspected without
    // depending on a cluster or a free port.
    container = await new HardenedContainer(image)
      .withCommand(["-e", "setInterval(() => {}, 1 << 30)"])
      .start();
    // Look as root and as the image's user: with every capability dropped, each can read what it owns
    // only, and together they see everything (a root-owned npm cache, say).
    const views: Inspection[] = [];
    for (const user of ["0", ""]) {
      const result = await container.exec(["/nodejs/bin/node", "-e", INSPECT], user === "" ? {} : { user });
      expect(result.exitCode, result.stderr).toBe(0);
      views.push(JSON.parse(result.stdout) as Inspection);
    }
    const [asRoot, asUser] = views as [Inspection, Inspection];
    expect(asRoot.unreadable.filter((dir) => asUser.unreadable.includes(dir))).toEqual([]);
    paths = [...new Set([...asRoot.paths, ...asUser.paths])];
    pid1 = asUser.status;
  });
  afterAll(async () => {
    await container?.stop({ timeout: 0, remove: true });
  });

  it("declares a numeric, non-root user", async () => {
    const client = await getContainerRuntimeClient();
    const info = await client.image.inspect(ImageName.fromString(image));
    expect(info.Config.User).toMatch(/^[1-9]\d*(:\d+)?$/);
  });

  it("runs its process as that non-root user, with no capabilities", () => {
    expect(pid1).toMatch(/^Uid:\s+65532\s+65532\s+65532\s+65532$/m);
    expect(pid1).toMatch(/^CapEff:\s+0+$/m);
    expect(pid1).toMatch(/^CapPrm:\s+0+$/m);
  });

  it("cannot write anywhere on its read-only root filesystem", async () => {
    const result = await container.exec(["/nodejs/bin/node", "-e", WRITE]);
    expect(JSON.parse(result.stdout)).toEqual({
      "/app/probe": "EROFS",
      "/tmp/probe": "EROFS",
      "/home/nonroot/probe": "EROFS",
    });
  });

  it("ships compiled JavaScript only: no TypeScript sources, tests or build config", () => {
    const app = paths.filter((p) => p.startsWith("/app/") && !p.startsWith("/app/node_modules/"));
    expect(app.filter((p) => /\.(?:ts|mts|cts)$/.test(p))).toEqual([]);
    expect(app.filter((p) => /\.(?:test|spec)\.|\/test\/|\/__tests__\//.test(p))).toEqual([]);
    expect(app.filter((p) => /\/tsconfig[^/]*\.json$/.test(p))).toEqual([]);
    expect(app.some((p) => /^\/app\/dist\/[a-z-]+\/main\.js$/.test(p))).toBe(true);
  });

  it("holds no dev dependencies", () => {
    expect(paths).not.toContain("/app/node_modules/typescript");
    expect(paths).not.toContain("/app/node_modules/vitest");
    expect(paths.filter((p) => devOnly.has(p))).toEqual([]);
  });

  it("holds no npm, npm cache or package manager", () => {
    expect(paths.filter((p) => /\/(?:_cacache|\.npm|npm|corepack|yarn)$/.test(p))).toEqual([]);
  });
});
