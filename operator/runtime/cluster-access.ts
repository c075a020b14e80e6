/**
 * ClusterAccess says where the API server is and how to authenticate one request to it. The common cases —
 * the in-cluster service account, and a kubeconfig whose user has client certificates, a token or a token
 * file — are read here directly. Everything else (exec plugins, auth providers, basic auth, proxies, several
 * merged kubeconfig files) goes through @kubernetes/client-node's KubeConfig, imported only then: that module
 * loads every generated API and model of client-node, ~55 MiB of RSS that an operator at 3,000 Greeters
 * otherwise spends on code it never calls (bench/operator).
 *
 * The lookup order is client-node's loadFromDefault: $KUBECONFIG, then ~/.kube/config, then in-cluster.
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, isAbsolute, join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { parse } from "yaml";

export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized?: boolean;
  servername?: string;
}

export interface Authenticated {
  headers: Record<string, string>;
  /** Set when requests must go through a dispatcher of client-node's own (a proxy). */
  dispatcher?: unknown;
}

export interface ClusterAccess {
  server: string;
  tls: TlsMaterial;
  /** True when requests need the per-request dispatcher from `authenticate` (e.g. a proxy). */
  ownDispatcher: boolean;
  authenticate(url: URL): Promise<Authenticated>;
}

const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  home?: string;
  serviceAccountDir?: string;
}

export async function loadClusterAccess(o: LoadOptions = {}): Promise<ClusterAccess> {
  const env = o.env ?? process.env;
  const files = (env.KUBECONFIG ?? "").split(delimiter).filter((f) => f !== "");
  const home = join(o.home ?? homedir(), ".kube", "config");
  if (files.length === 0 && existsSync(home)) files.push(home);
  if (files.length === 1) {
    const access = fromKubeconfigFile(files[0] as string);
    if (access) return access;
  } else if (files.length === 0) {
    const access = inCluster(env, o.serviceAccountDir ?? SA_DIR);
    if (access) return access;
  }
  const { KubeConfig } = await import("@kubernetes/client-node");
  const kc = new KubeConfig();
  if (files.length === 1) kc.loadFromFile(files[0] as string);
  else kc.loadFromDefault();
  if (!kc.getCurrentCluster()) throw new Error("the kubeconfig has no current context");
  return fromKubeConfig(kc);
}

function inCluster(env: NodeJS.ProcessEnv, dir: string): ClusterAccess | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  const tokenFile = join(dir, "token");
  if (!host || !port || !existsSync(tokenFile)) return undefined;
  const caFile = join(dir, "ca.crt");
  return {
    server: `https://${host.includes(":") ? `[${host}]` : host}:${port}`,
    tls: existsSync(caFile) ? { ca: readFileSync(caFile) } : {},
    ownDispatcher: false,
    authenticate: bearerFromFile(tokenFile),
  };
}

/** The token is re-read (at most every 10 s), as the kubelet rotates projected service-account tokens. */
function bearerFromFile(file: string): ClusterAccess["authenticate"] {
  let token = "";
  let readAt = 0;
  return async () => {
    if (Date.now() - readAt > 10_000) {
      token = readFileSync(file, "utf8").trim();
      readAt = Date.now();
    }
    return { headers: { authorization: `Bearer ${token}` } };
  };
}

interface Named<T> {
  name: string;
  [key: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}
type Fields = Record<string, unknown>;

/** A kubeconfig this module can serve without client-node, or undefined. */
export function fromKubeconfigFile(file: string): ClusterAccess | undefined {
  const doc = parse(readFileSync(file, "utf8")) as Fields | null;
  if (!doc) return undefined;
  const find = (list: unknown, name: unknown, field: "cluster" | "user" | "context") =>
    (Array.isArray(list) ? (list as Named<Fields>[]) : []).find((x) => x.name === name)?.[field];
  const context = find(doc.contexts, doc["current-context"], "context");
  const cluster = find(doc.clusters, context?.cluster, "cluster");
  const user = find(doc.users, context?.user, "user") ?? {};
  if (!cluster || typeof cluster.server !== "string") return undefined;
  // Only client-node implements these.
  if (cluster["proxy-url"] || user.exec || user["auth-provider"] || user.username || user.password) {
    return undefined;
  }
  const base = dirname(file);
  const material = (dataKey: string, fileKey: string, from: Fields): Buffer | undefined => {
    const data = from[dataKey];
    if (typeof data === "string") return Buffer.from(data, "base64");
    const path = from[fileKey];
    if (typeof path === "string") return readFileSync(isAbsolute(path) ? path : join(base, path));
    return undefined;
  };
  const tls: TlsMaterial = {};
  const ca = material("certificate-authority-data", "certificate-authority", cluster);
  const cert = material("client-certificate-data", "client-certificate", user);
  const key = material("client-key-data", "client-key", user);
  if (ca) tls.ca = ca;
  if (cert) tls.cert = cert;
  if (key) tls.key = key;
  if (cluster["insecure-skip-tls-verify"] === true) tls.rejectUnauthorized = false;
  if (typeof cluster["tls-server-name"] === "string") tls.servername = cluster["tls-server-name"];
  let authenticate: ClusterAccess["authenticate"] = async () => ({ headers: {} });
  if (typeof user.token === "string") {
    const headers = { authorization: `Bearer ${user.token}` };
    authenticate = async () => ({ headers });
  } else if (typeof user.tokenFile === "string") {
    authenticate = bearerFromFile(isAbsolute(user.tokenFile) ? user.tokenFile : join(base, user.tokenFile));
  }
  return { server: cluster.server.replace(/\/+$/, ""), tls, ownDispatcher: false, authenticate };
}

/** Any client-node KubeConfig: its authenticators run per request (exec plugins, token refresh, proxies). */
export function fromKubeConfig(kc: KubeConfig): ClusterAccess {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("kubeconfig has no current cluster");
  const user = kc.getCurrentUser();
  const read = (file?: string, data?: string) =>
    data ? Buffer.from(data, "base64") : file ? readFileSync(file) : undefined;
  const tls: TlsMaterial = {};
  const ca = read(cluster.caFile, cluster.caData);
  const cert = read(user?.certFile, user?.certData);
  const key = read(user?.keyFile, user?.keyData);
  if (ca) tls.ca = ca;
  if (cert) tls.cert = cert;
  if (key) tls.key = key;
  if (cluster.skipTLSVerify) tls.rejectUnauthorized = false;
  if (cluster.tlsServerName) tls.servername = cluster.tlsServerName;
  return {
    server: cluster.server.replace(/\/+$/, ""),
    tls,
    ownDispatcher: Boolean(cluster.proxyUrl),
    async authenticate(url) {
      const { HttpMethod, RequestContext } = await import("@kubernetes/client-node");
      const ctx = new RequestContext(url.toString(), HttpMethod.GET);
      await kc.applySecurityAuthentication(ctx);
      return { headers: ctx.getHeaders(), dispatcher: ctx.getDispatcher() };
    },
  };
}
