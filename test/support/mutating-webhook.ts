/**
 * A mutating admission webhook for tests: an HTTPS server on loopback, with a throwaway CA, that the local
 * control plane's API server calls (MutatingWebhookConfiguration with clientConfig.url) for every Deployment
 * created or updated in one namespace. It adds an env var to each container and an annotation, as sidecar
 * injectors and policy engines do, so tests can see what the operator makes of objects others shape.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createPki } from "../cluster/pki.ts";
import { eventually, kubectl } from "../cluster/testing.ts";

export const INJECTED_ENV = { name: "INJECTED_BY_WEBHOOK", value: "true" };
export const INJECTED_ANNOTATION = { key: "webhook.greeter-operator.test/admitted", value: "true" };

interface AdmissionRequest {
  uid: string;
  object?: {
    metadata?: { annotations?: Record<string, string> };
    spec?: { template?: { spec?: { containers?: Array<{ env?: Array<{ name: string }> }> } } };
  };
}

type JsonPatch = Array<{ op: "add"; path: string; value: unknown }>;

/** What the webhook changes: only what is missing, so an object it already shaped passes unchanged. */
function mutation(req: AdmissionRequest): JsonPatch {
  const patch: JsonPatch = [];
  const meta = req.object?.metadata ?? {};
  if (!meta.annotations) {
    patch.push({
      op: "add",
      path: "/metadata/annotations",
      value: { [INJECTED_ANNOTATION.key]: INJECTED_ANNOTATION.value },
    });
  } else if (!(INJECTED_ANNOTATION.key in meta.annotations)) {
    const key = INJECTED_ANNOTATION.key.replaceAll("~", "~0").replaceAll("/", "~1");
    patch.push({ op: "add", path: `/metadata/annotations/${key}`, value: INJECTED_ANNOTATION.value });
  }
  const containers = req.object?.spec?.template?.spec?.containers ?? [];
  containers.forEach((c, i) => {
    const path = `/spec/template/spec/containers/${i}/env`;
    if (!c.env) patch.push({ op: "add", path, value: [INJECTED_ENV] });
    else if (!c.env.some((e) => e.name === INJECTED_ENV.name))
      patch.push({ op: "add", path: `${path}/-`, value: INJECTED_ENV });
  });
  return patch;
}

export class MutatingWebhook {
  /** AdmissionReviews answered, with a patch or without. */
  admitted = 0;
  readonly #server: Server;
  readonly #configName: string;
  readonly #pkiDir: string;

  private constructor(server: Server, configName: string, pkiDir: string) {
    this.#server = server;
    this.#configName = configName;
    this.#pkiDir = pkiDir;
  }

  /** Serves the webhook and registers it for Deployments in `namespace`; `remove` undoes both. */
  static async install(namespace: string): Promise<MutatingWebhook> {
    // createPki's serving certificate is for 127.0.0.1, which is where the API server will call.
    const pki = await createPki(join(await mkdtemp(join(tmpdir(), "greeter-webhook-")), "pki"));
    const [cert, key, ca] = await Promise.all([
      readFile(pki.servingCert),
      readFile(pki.servingKey),
      readFile(pki.caCert),
    ]);
    let hook: MutatingWebhook | undefined;
    const server = createServer({ cert, key }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const review = JSON.parse(Buffer.concat(chunks).toString()) as { request: AdmissionRequest };
        const patch = mutation(review.request);
        if (hook) hook.admitted++;
        res.setHeader("content-type", "application/json");
        res.end(
          JSON.stringify({
            apiVersion: "admission.k8s.io/v1",
            kind: "AdmissionReview",
            response: {
              uid: review.request.uid,
              allowed: true,
              ...(patch.length
                ? { patchType: "JSONPatch", patch: Buffer.from(JSON.stringify(patch)).toString("base64") }
                : {}),
            },
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    const configName = `greeter-test-${namespace}`;
    hook = new MutatingWebhook(server, configName, dirname(pki.dir));
    const config = {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "MutatingWebhookConfiguration",
      metadata: { name: configName },
      webhooks: [
        {
          name: "deployments.webhook.greeter-operator.test",
          clientConfig: { url: `https://127.0.0.1:${port}/mutate`, caBundle: ca.toString("base64") },
          rules: [
            {
              apiGroups: ["apps"],
              apiVersions: ["v1"],
              operations: ["CREATE", "UPDATE"],
              resources: ["deployments"],
              scope: "Namespaced",
            },
          ],
          // Only this test's namespace, so other files on the shared control plane never meet it.
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
          // Fail, not Ignore: a Deployment the webhook did not shape would make the test prove nothing.
          failurePolicy: "Fail",
          sideEffects: "None",
          admissionReviewVersions: ["v1"],
          timeoutSeconds: 5,
        },
      ],
    };
    const res = await kubectl(["apply", "-f", "-"], { input: JSON.stringify(config) });
    if (res.code !== 0) {
      server.close();
      throw new Error(`registering the webhook failed: ${res.stderr}`);
    }
    // The API server takes up a new configuration asynchronously: a server-side dry run shows when it has.
    await eventually("the webhook to mutate Deployments", async () => {
      const probe = await kubectl(
        ["create", "deployment", "webhook-probe", "--image=probe", "--dry-run=server", "-o", "json"],
        { namespace },
      );
      return probe.code === 0 && probe.stdout.includes(INJECTED_ENV.name);
    });
    return hook;
  }

  async remove(): Promise<void> {
    await kubectl(["delete", "mutatingwebhookconfiguration", this.#configName, "--ignore-not-found"]);
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
    await rm(this.#pkiDir, { recursive: true, force: true });
  }
}
