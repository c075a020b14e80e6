/**
 * Builds what an image runs: <app>/main.ts and every package it imports, bundled into one ES module,
 * dist/<app>/main.js. One file instead of a few hundred modules, because each module Node loads keeps its own
 * source, scope and module record for the life of the process, and loading them leaves heap pages V8 keeps:
 * docs/operator-performance.md (seventh round) has what that costs.
 *
 *   node hack/bundle.ts operator greeter            # into dist/
 *   node hack/bundle.ts --outdir .tmp/x greeter     # elsewhere (the benchmarks)
 *   node hack/bundle.ts --root <checkout> greeter   # another checkout's sources (a benchmark's reference)
 *
 * Types are not checked here (`make lint` runs tsc); esbuild only strips them.
 */
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";

/**
 * Loaded with import() on paths most deployments never take (exec credential plugins, auth providers,
 * proxies), so they stay packages in node_modules, parsed only when needed; hack/prune-deps.ts keeps them.
 */
const LAZY_PACKAGES = ["@kubernetes/client-node", "undici"];

export const APPS = ["operator", "greeter"] as const;
export type App = (typeof APPS)[number];

/** Bundles the module `entry` (a path under `root`) and what it imports into `outfile`; returns `outfile`. */
export async function bundle(root: string, entry: string, outfile: string): Promise<string> {
  await build({
    absWorkingDir: root,
    entryPoints: [resolve(root, entry)],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node24",
    external: LAZY_PACKAGES,
    // The bundled CommonJS packages call require() for Node's built-in modules; an ES module has none.
    banner: {
      js: 'import { createRequire as __createRequire } from "node:module";\nconst require = __createRequire(import.meta.url);',
    },
    // Readable stack traces in logs: names and lines are kept (no minification).
    minify: false,
    legalComments: "eof",
    logLevel: "warning",
  });
  return outfile;
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { outdir: { type: "string", default: "dist" }, root: { type: "string", default: "." } },
  });
  const root = resolve(values.root);
  const apps = positionals.length > 0 ? positionals : [...APPS];
  for (const app of apps) {
    if (!(APPS as readonly string[]).includes(app))
      throw new Error(`unknown app ${app}: one of ${APPS.join(", ")}`);
    const out = await bundle(root, join(app, "main.ts"), join(resolve(values.outdir), app, "main.js"));
    console.log(`bundle: ${app} → ${out}`);
  }
}
