/**
 * One dashboard model drawn in a Chromium page and written as a PNG. The page may request only its own
 * files, served from this process (page-assets.ts); any other request fails the render, as does an error
 * thrown in the page.
 */
import type { BrowserContext, Page } from "playwright-core";
import { DEFAULT_CHROMIUM, launchChromium } from "./chromium.ts";
import type { DashboardModel, PageReport } from "./model.ts";
import { ORIGIN, pageHtml, staticAsset } from "./page-assets.ts";

/** Playwright's own default for a wait. */
const DRAW_TIMEOUT_MS = 30_000;

/**
 * Waits for the page's report or error by polling from here. page.waitForFunction re-evaluates its predicate
 * inside the page, and once a first check has failed (a page slower to draw, on a busy machine) the page's
 * Content-Security-Policy, which has no 'unsafe-eval', refuses that evaluation (microsoft/playwright#36986). A
 * single synchronous page.evaluate is not affected.
 */
async function waitUntilDrawn(page: Page): Promise<void> {
  const deadline = Date.now() + DRAW_TIMEOUT_MS;
  const drawn = "window.__previewReport !== undefined || window.__previewError !== undefined";
  while (!(await page.evaluate(drawn))) {
    if (Date.now() > deadline)
      throw new Error(`the preview page drew nothing within ${DRAW_TIMEOUT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Draws `model` in a new page of `context` and writes the whole page to `png`. */
export async function renderPage(
  context: BrowserContext,
  model: DashboardModel,
  png: string,
): Promise<PageReport> {
  const html = pageHtml(model);
  const width = model.width;
  const page = await context.newPage();
  const refused: string[] = [];
  const pageErrors: string[] = [];
  page.on("pageerror", (err) => pageErrors.push(err.message));
  await page.route("**/*", async (route) => {
    const url = new URL(route.request().url());
    const asset =
      url.origin === ORIGIN
        ? url.pathname === "/"
          ? { contentType: "text/html", body: html }
          : staticAsset(url.pathname)
        : undefined;
    if (asset) return route.fulfill({ status: 200, contentType: asset.contentType, body: asset.body });
    refused.push(route.request().url());
    return route.abort("blockedbyclient");
  });
  try {
    await page.setViewportSize({ width, height: 900 });
    await page.goto(`${ORIGIN}/`);
    await waitUntilDrawn(page);
    const error = (await page.evaluate("window.__previewError")) as string | undefined;
    if (error) throw new Error(`the preview page failed: ${error}`);
    if (pageErrors.length > 0) throw new Error(`the preview page threw: ${pageErrors.join("; ")}`);
    if (refused.length > 0)
      throw new Error(`the preview page asked for what it must not: ${refused.join(", ")}`);
    const report = (await page.evaluate("window.__previewReport")) as PageReport;
    await page.setViewportSize({ width, height: Math.ceil(report.height) });
    await page.screenshot({ path: png });
    return report;
  } finally {
    await page.close();
  }
}

/** renderPage in a browser of its own, for a model built without Prometheus. */
export async function renderModel(
  model: DashboardModel,
  png: string,
  options: { scale?: number; chromium?: string } = {},
): Promise<PageReport> {
  const browser = await launchChromium(options.chromium ?? DEFAULT_CHROMIUM, options.scale ?? 1);
  try {
    return await renderPage(browser.context, model, png);
  } finally {
    await browser.close();
  }
}
