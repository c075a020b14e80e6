/**
 * Builds what the operator's image runs: operator/main.ts and every package it imports, bundled by esbuild into
 * one ES module, dist/operator/main.js. One file instead of the ~350 modules tsc's output loads, because each
 * module Node loads keeps its source, scope and module record for the life of the process, and loading them
 * leaves heap pages behind (docs/operator-performance.md, seventh round).
 *
 *   node hack/bundle.ts                  # dist/operator/main.js (npm run build runs it)
 *   node hack/bundle.ts --outdir .tmp/x  # .tmp/x/operator/main.js
 *
 * The greeter is not bundled: its RSS under load came out 2–3 MiB higher bundled, for no throughput gain (same
 * section); tsc compiles it (tsconfig.build.json). Types are not checked here (`make lint` runs tsc); esbuild
 * only strips them.
 */
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";

/**
 * Loaded with import() on paths most deployments never take (exec credential plugins, auth providers,
 * proxies), so they stay packages in node_modules, parsed only when needed; hack/prune-deps.ts keeps them.
 */
const LAZY_PACKAGES = ["@kubernetes/client-node", "undici"];

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
  const { values } = parseArgs({ options: { outdir: { type: "string", default: "dist" } } });
  const root = resolve(import.meta.dirname, "..");
  const out = await bundle(root, "operator/main.ts", join(resolve(values.outdir), "operator", "main.js"));
  console.log(`bundle: operator → ${out}`);
}
