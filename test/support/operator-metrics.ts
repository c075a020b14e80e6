/**
 * Reading the operator's metrics as a scraper in the cluster does: HTTPS with a bearer token of a
 * ServiceAccount bound to the ClusterRole greeter-operator-metrics-reader (config/rbac), which the operator
 * checks with a TokenReview and a SubjectAccessReview. Certificate verification is off, as in the shipped
 * ServiceMonitor: without --metrics-cert-path the certificate is self-signed, made in memory at start.
 */
import { Agent, request } from "undici";
import { stringify } from "yaml";
import { eventually, kubectl } from "../cluster/testing.ts";
import { must } from "./greeters.ts";
import { parsePromText, type Sample } from "./prom-text.ts";

export const METRICS_READER_ROLE = "greeter-operator-metrics-reader";

const insecure = new Agent({ connect: { rejectUnauthorized: false } });

/** GET `url` (http or https) with `token` as the bearer, if any; the status and body, whatever they are. */
export async function getMetrics(url: string, token?: string): Promise<{ status: number; text: string }> {
  const res = await request(url, {
    dispatcher: insecure,
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  return { status: res.statusCode, text: await res.body.text() };
}

/** GET <baseUrl>/metrics, parsed; throws unless it answers 200. */
export async function scrapeWithToken(baseUrl: string, token: string | undefined): Promise<Sample[]> {
  const { status, text } = await getMetrics(`${baseUrl}/metrics`, token);
  if (status !== 200) throw new Error(`GET ${baseUrl}/metrics answered ${status}: ${text.slice(0, 200)}`);
  return parsePromText(text);
}

/** The ClusterRoleBinding serviceAccountToken() makes for a reader; delete it when done. */
export const readerBinding = (namespace: string, name: string) => `${namespace}-${name}-metrics-reader`;

/**
 * A ServiceAccount `name` in `namespace`, bound (or not) to greeter-operator-metrics-reader, and a fresh token
 * of it. The ClusterRole must exist (config/default's RBAC; test/support/operator-process.ts applies it).
 * Returns once the binding is in effect: RBAC reaches the authorizer a moment after it is written, and a
 * 403 in between would be remembered by the operator for 30 s.
 */
export async function serviceAccountToken(
  namespace: string,
  name: string,
  { reader }: { reader: boolean },
): Promise<string> {
  const objects: object[] = [{ apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace } }];
  if (reader) {
    objects.push({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: readerBinding(namespace, name) },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: METRICS_READER_ROLE },
      subjects: [{ kind: "ServiceAccount", name, namespace }],
    });
  }
  await must(
    ["apply", "--server-side", "--field-manager=integration-tests", "-f", "-"],
    undefined,
    objects.map((o) => stringify(o)).join("---\n"),
  );
  if (reader) {
    const user = `system:serviceaccount:${namespace}:${name}`;
    await eventually(`${user} to be allowed to get /metrics`, async () => {
      const res = await kubectl(["auth", "can-i", "get", "/metrics", `--as=${user}`]);
      return res.stdout.trim() === "yes";
    });
  }
  return (await must(["create", "token", name, "-n", namespace, "--duration=6h"])).trim();
}
