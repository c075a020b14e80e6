// The operator's metrics as shipped, against the real API server: HTTPS, and every request decided by a
// TokenReview and a SubjectAccessReview (`get` on /metrics). No token or a made-up one is 401, a
// ServiceAccount without the metrics-reader role 403, one with it 200; nothing about who asked, and no token,
// reaches the operator's log. The decisions are cached: repeated scrapes cost no review, as the operator's
// own apiserver_delegated_authn/authz_request_total show.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kubectl, useTestNamespace } from "../cluster/testing.ts";
import {
  getMetrics,
  readerBinding,
  scrapeWithToken,
  serviceAccountToken,
} from "../support/operator-metrics.ts";
import { OperatorProcess } from "../support/operator-process.ts";
import { parsePromText, type Sample } from "../support/prom-text.ts";

const watched = useTestNamespace("metrics-auth", "file");
// The scrapers live apart from what the operator watches, so their names have no other reason to be logged.
const scrapers = useTestNamespace("scrapers", "file");
let operator: OperatorProcess;
let reader: string;
let stranger: string;

const userOf = (sa: string) => `system:serviceaccount:${scrapers.name}:${sa}`;
const total = (samples: Sample[], name: string) =>
  samples.filter((s) => s.name === name).reduce((n, s) => n + s.value, 0);
const reviews = (samples: Sample[]) => ({
  tokenReviews: total(samples, "apiserver_delegated_authn_request_total"),
  subjectAccessReviews: total(samples, "apiserver_delegated_authz_request_total"),
});

beforeAll(async () => {
  operator = await OperatorProcess.start({ env: { WATCH_NAMESPACES: watched.name } });
  stranger = await serviceAccountToken(scrapers.name, "scraper-without-role", { reader: false });
  reader = await serviceAccountToken(scrapers.name, "scraper-with-role", { reader: true });
});
afterAll(async () => {
  await operator?.stop();
  await kubectl([
    "delete",
    "clusterrolebinding",
    readerBinding(scrapers.name, "scraper-with-role"),
    "--ignore-not-found",
  ]);
});

describe("the operator's metrics endpoint", () => {
  it("is HTTPS only", async () => {
    expect(operator.metricsUrl).toMatch(/^https:/);
    await expect(getMetrics(`${operator.metricsUrl.replace("https:", "http:")}/metrics`)).rejects.toThrow();
  });

  it("answers 401 without a token and for a made-up one, 403 without the role, 200 and the metrics with it", async () => {
    const url = `${operator.metricsUrl}/metrics`;
    const garbage = randomBytes(24).toString("base64url");
    expect(await getMetrics(url)).toEqual({ status: 401, text: "Unauthorized\n" });
    expect(await getMetrics(url, garbage)).toEqual({ status: 401, text: "Unauthorized\n" });
    expect(await getMetrics(url, stranger)).toEqual({
      status: 403,
      text: `Authorization denied for user ${userOf("scraper-without-role")}\n`,
    });
    const ok = await getMetrics(url, reader);
    expect(ok.status).toBe(200);
    const samples = parsePromText(ok.text);
    expect(samples.some((s) => s.name === "controller_runtime_reconcile_total")).toBe(true);
    expect(samples.some((s) => s.name === "process_resident_memory_bytes")).toBe(true);

    // The refusals were logged (at debug, which this operator runs at), without a token or a name.
    const log = operator.logTail(2000);
    expect(log).toContain("metrics request refused");
    for (const secret of [
      garbage,
      stranger,
      reader,
      scrapers.name,
      "scraper-without-role",
      "scraper-with-role",
    ]) {
      expect(log.includes(secret), `the log names ${secret.slice(0, 24)}…`).toBe(false);
    }
  });

  it("answers repeated scrapes with one token from its cache, with no TokenReview or SubjectAccessReview", async () => {
    const first = reviews(await scrapeWithToken(operator.metricsUrl, reader));
    for (let i = 0; i < 5; i++) {
      expect(reviews(await scrapeWithToken(operator.metricsUrl, reader))).toEqual(first);
    }
    // A new token is reviewed once, and then answered from the cache too. (Its user carries the token's
    // credential-id, so its permission is asked anew as well.)
    const another = await serviceAccountToken(scrapers.name, "scraper-with-role", { reader: true });
    const after = reviews(await scrapeWithToken(operator.metricsUrl, another));
    expect(after.tokenReviews).toBe(first.tokenReviews + 1);
    for (let i = 0; i < 3; i++) {
      expect(reviews(await scrapeWithToken(operator.metricsUrl, another))).toEqual(after);
    }
  });
});
