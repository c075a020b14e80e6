import { readFile, writeFile } from "node:fs/promises";
import { stringify } from "yaml";

export interface KubeconfigInput {
  server: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  user: string;
  context?: string;
}

const b64 = async (file: string) => (await readFile(file)).toString("base64");

/**
 * Writes a self-contained kubeconfig (certificates embedded, so it still works when copied), readable by
 * kubectl, @kubernetes/client-node and the Go components.
 */
export async function writeKubeconfig(path: string, input: KubeconfigInput): Promise<void> {
  const context = input.context ?? "greeter-local";
  const doc = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: context,
        cluster: { server: input.server, "certificate-authority-data": await b64(input.caFile) },
      },
    ],
    users: [
      {
        name: input.user,
        user: {
          "client-certificate-data": await b64(input.certFile),
          "client-key-data": await b64(input.keyFile),
        },
      },
    ],
    contexts: [{ name: context, context: { cluster: context, user: input.user, namespace: "default" } }],
    "current-context": context,
  };
  await writeFile(path, stringify(doc), { mode: 0o600 });
}
