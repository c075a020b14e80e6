import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fromKubeconfigFile, loadClusterAccess } from "./cluster-access.ts";

const b64 = (s: string) => Buffer.from(s).toString("base64");

function kubeconfig(dir: string, user: Record<string, unknown>, cluster: Record<string, unknown> = {}) {
  const file = join(dir, "config");
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      "current-context": "main",
      contexts: [
        { name: "other", context: { cluster: "other", user: "other" } },
        { name: "main", context: { cluster: "c", user: "u" } },
      ],
      clusters: [
        { name: "other", cluster: { server: "https://wrong:1" } },
        {
          name: "c",
          cluster: { server: "https://127.0.0.1:6443/", "certificate-authority": "ca.crt", ...cluster },
        },
      ],
      users: [{ name: "u", user }],
    }),
  );
  return file;
}

const tmp = () => {
  const dir = mkdtempSync(join(tmpdir(), "cluster-access-"));
  writeFileSync(join(dir, "ca.crt"), "CA");
  return dir;
};

describe("fromKubeconfigFile", () => {
  it("reads the current context's server, CA (relative to the file) and client certificate", async () => {
    const dir = tmp();
    const access = fromKubeconfigFile(
      kubeconfig(dir, { "client-certificate-data": b64("CERT"), "client-key-data": b64("KEY") }),
    );
    expect(access?.server).toBe("https://127.0.0.1:6443");
    expect(access?.tls.ca?.toString()).toBe("CA");
    expect(access?.tls.cert?.toString()).toBe("CERT");
    expect(access?.tls.key?.toString()).toBe("KEY");
    expect((await access?.authenticate(new URL("https://127.0.0.1:6443/api")))?.headers).toEqual({});
  });

  it("sends a token, and re-reads a token file", async () => {
    const dir = tmp();
    expect(
      (await fromKubeconfigFile(kubeconfig(dir, { token: "t0k" }))?.authenticate(new URL("https://x")))
        ?.headers,
    ).toEqual({ authorization: "Bearer t0k" });
    writeFileSync(join(dir, "token"), "from-file\n");
    const access = fromKubeconfigFile(kubeconfig(dir, { tokenFile: "token" }));
    expect((await access?.authenticate(new URL("https://x")))?.headers).toEqual({
      authorization: "Bearer from-file",
    });
  });

  it("leaves exec plugins, auth providers and proxies to client-node", () => {
    const dir = tmp();
    expect(fromKubeconfigFile(kubeconfig(dir, { exec: { command: "aws" } }))).toBeUndefined();
    expect(fromKubeconfigFile(kubeconfig(dir, { "auth-provider": { name: "oidc" } }))).toBeUndefined();
    expect(
      fromKubeconfigFile(kubeconfig(dir, { token: "t" }, { "proxy-url": "http://proxy:3128" })),
    ).toBeUndefined();
  });
});

describe("loadClusterAccess", () => {
  it("prefers $KUBECONFIG, then ~/.kube/config, then the in-cluster service account", async () => {
    const dir = tmp();
    const file = kubeconfig(dir, { token: "t" });
    const sa = tmp();
    writeFileSync(join(sa, "token"), "sa-token");
    const env = { KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "443" };
    const noHome = tmp();

    expect(
      (await loadClusterAccess({ env: { ...env, KUBECONFIG: file }, home: noHome, serviceAccountDir: sa }))
        .server,
    ).toBe("https://127.0.0.1:6443");
    const inCluster = await loadClusterAccess({ env, home: noHome, serviceAccountDir: sa });
    expect(inCluster.server).toBe("https://10.0.0.1:443");
    expect(inCluster.tls.ca?.toString()).toBe("CA");
    expect((await inCluster.authenticate(new URL("https://10.0.0.1/api"))).headers).toEqual({
      authorization: "Bearer sa-token",
    });
  });

  it("falls back to client-node for what it alone implements", async () => {
    const dir = tmp();
    const file = kubeconfig(dir, { username: "admin", password: "secret" });
    const access = await loadClusterAccess({ env: { KUBECONFIG: file }, home: tmp() });
    expect(access.server).toBe("https://127.0.0.1:6443");
    const { headers } = await access.authenticate(new URL("https://127.0.0.1:6443/api"));
    expect(headers.Authorization ?? headers.authorization).toBe(`Basic ${b64("admin:secret")}`);
  });
});
