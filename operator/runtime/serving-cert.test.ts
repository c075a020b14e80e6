import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { selfSignedCert } from "./self-signed-cert.ts";
import { ServingCert, type TlsPair } from "./serving-cert.ts";

const log = pino({ level: "silent" });

describe("ServingCert", () => {
  const dirs: string[] = [];
  const certs: ServingCert[] = [];
  afterEach(() => {
    for (const c of certs.splice(0)) c.stop();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const secretDir = (pair: { cert: string; key: string }) => {
    const dir = mkdtempSync(join(tmpdir(), "serving-cert-"));
    dirs.push(dir);
    writePair(dir, pair);
    return dir;
  };
  const writePair = (dir: string, pair: { cert: string; key: string }) => {
    writeFileSync(join(dir, "tls.crt"), pair.cert);
    writeFileSync(join(dir, "tls.key"), pair.key);
  };
  const cn = (pair: TlsPair) => new X509Certificate(pair.cert).subject;

  it("serves tls.crt and tls.key from a directory, and hands on a renewed pair", async () => {
    const dir = secretDir(selfSignedCert({ commonName: "first" }));
    const cert = new ServingCert({
      certDir: dir,
      selfSigned: { commonName: "unused" },
      log,
      checkEveryMs: 5,
    });
    certs.push(cert);
    expect(cert.source).toBe("files");
    expect(cn(cert.current)).toBe("CN=first");
    const changed = new Promise<TlsPair>((resolve) => cert.start(resolve));
    writePair(dir, selfSignedCert({ commonName: "renewed" }));
    expect(cn(await changed)).toBe("CN=renewed");
    expect(cn(cert.current)).toBe("CN=renewed");
  });

  it("keeps the pair it has while the files do not load, and fails at start on a mismatched pair", async () => {
    const [a, b] = [selfSignedCert({ commonName: "a" }), selfSignedCert({ commonName: "b" })];
    expect(
      () =>
        new ServingCert({
          certDir: secretDir({ cert: a.cert, key: b.key }),
          selfSigned: { commonName: "x" },
          log,
        }),
    ).toThrow();

    const dir = secretDir(a);
    const cert = new ServingCert({ certDir: dir, selfSigned: { commonName: "x" }, log, checkEveryMs: 5 });
    certs.push(cert);
    const seen: string[] = [];
    const renewed = new Promise<void>((resolve) =>
      cert.start((p) => {
        seen.push(cn(p));
        resolve();
      }),
    );
    writeFileSync(join(dir, "tls.key"), b.key); // half-way through a renewal: a.cert with b.key
    await new Promise((r) => setTimeout(r, 30));
    expect(cn(cert.current)).toBe("CN=a");
    writeFileSync(join(dir, "tls.crt"), b.cert);
    await renewed;
    expect(seen).toEqual(["CN=b"]);
  });

  it("makes a self-signed pair in memory without a directory, and a new one after half its life", () => {
    let now = Date.parse("2026-12-01T00:00:00Z");
    const cert = new ServingCert({
      selfSigned: { commonName: "self" },
      log,
      checkEveryMs: 1,
      now: () => now,
    });
    expect(cert.source).toBe("self-signed");
    expect(cn(cert.current)).toBe("CN=self");
    const first = cert.current.cert;
    const x = new X509Certificate(first);
    now = (Date.parse(x.validFrom) + Date.parse(x.validTo)) / 2 + 3600_000;
    return new Promise<void>((resolve) => {
      certs.push(cert);
      cert.start((p) => {
        expect(p.cert).not.toBe(first);
        resolve();
      });
    });
  });
});
