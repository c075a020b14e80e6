/**
 * The files of the preview page, served to Chromium from this process through request interception under
 * an origin that cannot resolve (.invalid): nothing is listened on and nothing leaves the machine. The
 * browser modules are TypeScript, transpiled on the way out; uPlot comes from node_modules.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import ts from "typescript";
import type { DashboardModel } from "./model.ts";

export const ORIGIN = "http://dashboards-preview.invalid";

export type Asset = { contentType: string; body: string };

const require = createRequire(import.meta.url);
const BROWSER_DIR = join(import.meta.dirname, "browser");

/** The page for one dashboard: its model embedded as JSON, the script and styles by path. */
export function pageHtml(model: DashboardModel): string {
  // "<" escaped so no label value or title can close the script element.
  const json = JSON.stringify(model).replaceAll("<", "\\u003c");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:">
<title>Preview: ${escapeHtml(model.title)}</title>
<link rel="stylesheet" href="/uplot.css"><link rel="stylesheet" href="/browser/page.css">
<script type="application/json" id="model">${json}</script>
<script type="module" src="/browser/page.js"></script>
</head><body></body></html>`;
}

/** The static asset at `path`, or undefined: the page may ask for nothing else. */
export function staticAsset(path: string): Asset | undefined {
  if (path === "/uplot.js") return js(readFileSync(require.resolve("uplot/dist/uPlot.esm.js"), "utf8"));
  if (path === "/uplot.css") return css(readFileSync(require.resolve("uplot/dist/uPlot.min.css"), "utf8"));
  if (path === "/browser/page.css") return css(readFileSync(join(BROWSER_DIR, "page.css"), "utf8"));
  const module = /^\/browser\/([a-z-]+)\.js$/.exec(path)?.[1];
  if (module) return js(browserModule(module));
  return undefined;
}

const transpiled = new Map<string, string>();

function browserModule(name: string): string {
  const cached = transpiled.get(name);
  if (cached !== undefined) return cached;
  const source = readFileSync(join(BROWSER_DIR, `${name}.ts`), "utf8");
  const { outputText } = ts.transpileModule(source, {
    fileName: `${name}.ts`,
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      verbatimModuleSyntax: true,
      rewriteRelativeImportExtensions: true,
    },
  });
  // The one bare import: the browser has no node_modules resolution.
  const out = outputText.replace(/from "uplot";/, 'from "/uplot.js";');
  transpiled.set(name, out);
  return out;
}

const js = (body: string): Asset => ({ contentType: "text/javascript; charset=utf-8", body });
const css = (body: string): Asset => ({ contentType: "text/css; charset=utf-8", body });

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
