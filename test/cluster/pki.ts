import { execFile } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A client identity of the test cluster: the API server maps CN to the user and O to its groups. */
export interface ClientIdentity {
  user: string;
  groups: string[];
}

export interface ClientCert {
  certFile: string;
  keyFile: string;
}

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  /** One RSA key signs and verifies service-account tokens. */
  serviceAccountKey: string;
  serviceAccountPub: string;
}

// Node has no X.509 writer, so certificates come from the openssl CLI (present on every Linux the
// project targets; hack/prereqs.d/30-control-plane.sh checks for it). EC P-256 keys keep it fast.
async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run("openssl", args, { cwd });
  } catch (err) {
    const e = err as { code?: string; stderr?: string };
    if (e.code === "ENOENT") throw new Error("openssl is needed to create the test cluster's certificates");
    throw new Error(`openssl ${args[0]} failed: ${e.stderr ?? String(err)}`);
  }
}

const ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
// Certificates live only as long as one cluster; two days covers a long debugging session.
const days = "2";

async function signed(
  pki: Pick<Pki, "dir" | "caCert" | "caKey">,
  name: string,
  subject: string,
  extensions: string,
): Promise<ClientCert> {
  const keyFile = join(pki.dir, `${name}.key`);
  const csr = join(pki.dir, `${name}.csr`);
  const certFile = join(pki.dir, `${name}.crt`);
  const ext = join(pki.dir, `${name}.ext`);
  await writeFile(ext, extensions);
  await openssl(["req", "-new", ...ecKey, "-keyout", keyFile, "-out", csr, "-subj", subject], pki.dir);
  await openssl(
    [
      "x509",
      "-req",
      "-in",
      csr,
      "-CA",
      pki.caCert,
      "-CAkey",
      pki.caKey,
      "-CAcreateserial",
      "-days",
      days,
      "-extfile",
      ext,
      "-out",
      certFile,
    ],
    pki.dir,
  );
  return { certFile, keyFile };
}

/** Distinguished-name escaping for openssl's -subj "/CN=.../O=..." syntax. */
function dn(value: string): string {
  return value.replace(/[\\/,+=]/g, (c) => `\\${c}`);
}

export async function createPki(dir: string): Promise<Pki> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const caCert = join(dir, "ca.crt");
  const caKey = join(dir, "ca.key");
  await openssl(
    [
      "req",
      "-x509",
      ...ecKey,
      "-keyout",
      caKey,
      "-out",
      caCert,
      "-days",
      days,
      "-subj",
      "/CN=greeter-operator-test-ca",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
    ],
    dir,
  );
  const serving = await signed(
    { dir, caCert, caKey },
    "apiserver",
    "/CN=kube-apiserver",
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n",
  );
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const serviceAccountKey = join(dir, "sa.key");
  const serviceAccountPub = join(dir, "sa.pub");
  await writeFile(serviceAccountKey, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  await writeFile(serviceAccountPub, publicKey.export({ type: "spki", format: "pem" }));
  return {
    dir,
    caCert,
    caKey,
    servingCert: serving.certFile,
    servingKey: serving.keyFile,
    serviceAccountKey,
    serviceAccountPub,
  };
}

/** A client certificate for `identity`, signed by the cluster CA (so tests can act as a non-admin user). */
export async function createClientCert(
  pki: Pick<Pki, "dir" | "caCert" | "caKey">,
  name: string,
  identity: ClientIdentity,
): Promise<ClientCert> {
  const subject = `/CN=${dn(identity.user)}${identity.groups.map((g) => `/O=${dn(g)}`).join("")}`;
  return signed(
    pki,
    `client-${name}`,
    subject,
    "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n",
  );
}
