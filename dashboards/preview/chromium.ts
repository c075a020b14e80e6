/**
 * Headless Chromium from Debian (hack/prereqs.d/60-chromium.sh) driven by playwright-core, which brings no
 * browser of its own. The flags keep it from calling home (component updates, sync, safe-browsing lists,
 * QUIC probes): on a closed network it would otherwise retry them for as long as it runs.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

export const DEFAULT_CHROMIUM = "/usr/bin/chromium";

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export type Browser = { context: BrowserContext; close(): Promise<void> };

/** A browser with a fresh profile, in UTC, at `scale` device pixels per CSS pixel; the profile is removed on close. */
export async function launchChromium(executablePath: string, scale: number): Promise<Browser> {
  if (!existsSync(executablePath))
    throw new Error(
      `no Chromium at ${executablePath}: bash hack/prereqs.d/60-chromium.sh (Debian's chromium), or --chromium <path>`,
    );
  const profile = mkdtempSync(join(tmpdir(), "dashboards-preview-profile-"));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: FLAGS,
      timezoneId: "UTC",
      locale: "en-GB",
      deviceScaleFactor: scale,
      viewport: { width: 1600, height: 900 },
      offline: true,
    });
    return {
      context,
      async close() {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
}
