/**
 * `node bench/operator/profile-summary.ts <file.cpuprofile> [top]`: self time by function and by package
 * (node_modules/<pkg>, operator/<dir>, node: internals), from a `node --cpu-prof` profile (`npm run
 * bench:operator -- --cpu-prof` writes them under .tmp/bench-operator/).
 */
import { readFileSync } from "node:fs";

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write("usage: node bench/operator/profile-summary.ts <file.cpuprofile> [top]\n");
  process.exit(2);
}
const top = Number(topArg ?? 25);
const p = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
p.samples.forEach((id, i) => {
  self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
});
const totalUs = [...self.values()].reduce((a, b) => a + b, 0);

function area(url: string, fn: string): string {
  if (!url) return fn.startsWith("(") ? fn : "(native)";
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1] as string;
  const own = /\/(operator|bench|test)\/([^/]+)/.exec(url);
  if (own) return `${own[1]}/${own[2]}`;
  if (url.startsWith("node:")) return url;
  return url;
}

const byFn = new Map<string, number>();
const byArea = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id);
  if (!n) continue;
  const { functionName, url, lineNumber } = n.callFrame;
  const fnKey = `${functionName || "(anonymous)"} ${url.replace(/^.*\/(node_modules|operator)\//, "$1/")}:${lineNumber + 1}`;
  byFn.set(fnKey, (byFn.get(fnKey) ?? 0) + us);
  const a = area(url, functionName);
  byArea.set(a, (byArea.get(a) ?? 0) + us);
}
const show = (title: string, m: Map<string, number>) => {
  process.stdout.write(`\n${title}\n`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(
      `${(us / 1000).toFixed(0).padStart(8)} ms ${((us / totalUs) * 100).toFixed(1).padStart(5)}%  ${k}\n`,
    );
  }
};
process.stdout.write(`total sampled ${(totalUs / 1e6).toFixed(2)} s\n`);
show("self time by area", byArea);
show("self time by function", byFn);
