// The review traffic and the answers DelegatedAuth gives; the real API server's side (RBAC, real tokens)
// is test/integration/operator-metrics-auth.test.ts.
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { bearerToken, createDelegatedAuthMetrics, DelegatedAuth } from "./delegated-auth.ts";
import { KubeClient } from "./kube-client.ts";
import { type FakeApiServer, sendJson, sendStatus, startFakeApiServer } from "./testing/fake-api-server.ts";

const GET_METRICS = { method: "GET", path: "/metrics" };
const bearer = (t: string) => ({ ...GET_METRICS, authorization: `Bearer ${t}` });

describe("DelegatedAuth", () => {
  let server: FakeApiServer | undefined;
  let client: KubeClient | undefined;
  afterEach(async () => {
    await client?.close();
    await server?.close();
    [client, server] = [undefined, undefined];
  });

  /** Tokens "reader" and "other" are users; only "reader" may get /metrics. */
  async function start(hold?: Promise<void>) {
    server = await startFakeApiServer(async (req, res) => {
      await hold;
      const body = JSON.parse(req.body);
      if (req.url.pathname.endsWith("/tokenreviews")) {
        const token = body.spec.token as string;
        if (token === "down") return sendStatus(res, 503, "ServiceUnavailable");
        const known = token === "reader" || token === "other";
        return sendJson(res, 201, {
          ...body,
          status: known ? { authenticated: true, user: { username: token, groups: ["g"] } } : {},
        });
      }
      const { user, nonResourceAttributes } = body.spec;
      const allowed =
        user === "reader" &&
        nonResourceAttributes.path === "/metrics" &&
        nonResourceAttributes.verb === "get";
      sendJson(res, 201, { ...body, status: { allowed } });
    });
    client = new KubeClient(server.kubeConfig());
    const registry = new Registry();
    const auth = new DelegatedAuth({ client, metrics: createDelegatedAuthMetrics(registry), maxInFlight: 2 });
    return { auth, registry, reviews: () => server?.requests.map((r) => r.url.pathname.split("/").at(-1)) };
  }

  it("answers 401 without a token or for an unknown one, 403 for a user without the right, 200 with it", async () => {
    const { auth, reviews } = await start();
    expect(await auth.check({ ...GET_METRICS, authorization: undefined })).toMatchObject({ status: 401 });
    expect(await auth.check({ ...GET_METRICS, authorization: "Basic dTpw" })).toMatchObject({ status: 401 });
    expect(reviews()).toEqual([]);
    expect(await auth.check(bearer("garbage"))).toMatchObject({
      status: 401,
      reason: "token not authenticated",
    });
    expect(await auth.check(bearer("other"))).toMatchObject({
      status: 403,
      message: "Authorization denied for user other",
    });
    expect(await auth.check(bearer("reader"))).toEqual({ allowed: true });
    expect(await auth.check({ ...bearer("reader"), method: "POST" })).toMatchObject({ status: 403 });
  });

  it("sends one TokenReview and one SubjectAccessReview for many requests with the same token", async () => {
    const { auth, registry, reviews } = await start();
    for (let i = 0; i < 5; i++) expect(await auth.check(bearer("reader"))).toEqual({ allowed: true });
    for (let i = 0; i < 3; i++) await auth.check(bearer("garbage"));
    expect(reviews()).toEqual(["tokenreviews", "subjectaccessreviews", "tokenreviews"]);
    const text = await registry.metrics();
    expect(text).toContain('apiserver_delegated_authn_request_total{code="201"} 2');
    expect(text).toContain('apiserver_delegated_authz_request_total{code="201"} 1');
  });

  it("answers 500 when a review fails, and asks again next time", async () => {
    const { auth, registry, reviews } = await start();
    expect(await auth.check(bearer("down"))).toMatchObject({ status: 500, reason: "review failed" });
    expect(await auth.check(bearer("down"))).toMatchObject({ status: 500 });
    expect(reviews()).toEqual(["tokenreviews", "tokenreviews"]);
    expect(await registry.metrics()).toContain('apiserver_delegated_authn_request_total{code="503"} 2');
  });

  it("answers 429 without asking when too many reviews are already in flight", async () => {
    let release: () => void = () => {};
    const { auth, reviews } = await start(new Promise((r) => (release = r)));
    const pending = [auth.check(bearer("a")), auth.check(bearer("b"))];
    expect(await auth.check(bearer("c"))).toMatchObject({ status: 429 });
    release();
    expect(await Promise.all(pending)).toMatchObject([{ status: 401 }, { status: 401 }]);
    expect(reviews()).toHaveLength(2);
    expect(await auth.check(bearer("c"))).toMatchObject({ status: 401 });
  });

  it("reads bearer tokens as the API server does", () => {
    expect(bearerToken("Bearer abc")).toBe("abc");
    expect(bearerToken("bearer  abc ")).toBe("abc");
    expect(bearerToken("Bearer ")).toBeUndefined();
    expect(bearerToken("Bearer a b")).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
