/**
 * Prunes an installed production node_modules down to what one compiled entry point needs, so the greeter
 * image does not carry the operator's Kubernetes client (and the reverse). The roots are the bare import
 * specifiers found in the compiled JavaScript under the given directories; everything they depend on,
 * transitively, is kept as package-lock.json resolved it, and every other installed package is removed.
 * Run inside the image build after `npm ci --omit=dev`:
 *   node hack/prune-deps.ts dist/greeter
 * A package that is only loaded by a computed name would be missed; the image tests start each image, so
 * that shows up as a failing container, not a silent gap.
 */
import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { join } from "node:path";

type LockPackage = {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  dev?: boolean;
  link?: boolean;
};
export type Lockfile = { packages: Record<string, LockPackage> };

const builtins = new Set(builtinModules);
// No whitespace in a specifier: in bundled code, quoted text after the words "import" or "require" (a message,
// a flag such as "--import") is not an import.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["']([^"'./\s][^"'\s]*)["']/g;

/** The package names a piece of JavaScript imports: "express", "@scope/pkg" (subpaths and builtins dropped). */
export function importedPackages(source: string): Set<string> {
  const names = new Set<string>();
  for (const match of source.matchAll(SPECIFIER)) {
    const specifier = match[1] ?? "";
    if (specifier.startsWith("node:")) continue;
    const parts = specifier.split("/");
    const name = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? "");
    if (name !== "" && !builtins.has(name)) names.add(name);
  }
  return names;
}

/** Where Node would find `name` when required from the package installed at `from` ("" is the project). */
function resolve(lock: Lockfile, from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = base === "" ? `node_modules/${name}` : `${base}/node_modules/${name}`;
    if (lock.packages[candidate] !== undefined) return candidate;
    if (base === "") return undefined;
    const cut = base.lastIndexOf("/node_modules/");
    base = cut === -1 ? "" : base.slice(0, cut);
  }
}

/** The lockfile paths ("node_modules/a", "node_modules/a/node_modules/b") needed to load `roots`. */
export function closure(lock: Lockfile, roots: Iterable<string>): Set<string> {
  const keep = new Set<string>();
  const pending: Array<[from: string, name: string]> = [...roots].map((name) => ["", name]);
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [from, name] = next;
    const path = resolve(lock, from, name);
    if (path === undefined) {
      // Not installed: an optional or peer dependency, or (from the project) a name that only looked
      // like an import; if the code really needs it, starting the image fails.
      if (from === "") process.stderr.write(`prune-deps: ${name} is not in package-lock.json\n`);
      continue;
    }
    if (keep.has(path)) continue;
    keep.add(path);
    const pkg = lock.packages[path] ?? {};
    for (const deps of [pkg.dependencies, pkg.optionalDependencies, pkg.peerDependencies]) {
      for (const dep of Object.keys(deps ?? {})) pending.push([path, dep]);
    }
  }
  return keep;
}

function javascriptFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => /\.(?:m|c)?js$/.test(f))
    .map((f) => join(dir, f));
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function main(dirs: string[]): void {
  if (dirs.length === 0) throw new Error("usage: node hack/prune-deps.ts <compiled dir>...");
  const roots = new Set<string>();
  for (const file of dirs.flatMap(javascriptFiles)) {
    for (const name of importedPackages(readFileSync(file, "utf8"))) roots.add(name);
  }
  const lock = JSON.parse(readFileSync("package-lock.json", "utf8")) as Lockfile;
  const keep = closure(lock, roots);
  let removed = 0;
  for (const path of Object.keys(lock.packages)) {
    if (path === "" || keep.has(path) || !exists(path)) continue;
    rmSync(path, { recursive: true, force: true });
    removed++;
  }
  // Bin links and npm's hidden lockfile describe the tree before pruning; nothing at run time reads them.
  rmSync("node_modules/.bin", { recursive: true, force: true });
  rmSync("node_modules/.package-lock.json", { force: true });
  process.stdout.write(
    `prune-deps: roots ${[...roots].sort().join(", ")}; kept ${keep.size} packages, removed ${removed}\n`,
  );
}

if (import.meta.main) main(process.argv.slice(2));
