import { X509Certificate } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { connect } from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import { selfSignedCert } from "./self-signed-cert.ts";

describe("selfSignedCert", () => {
  const servers: { close(): void }[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });

  it("is a valid X.509 serving certificate, signed by its own key, for the names asked", () => {
    const now = new Date("2026-12-01T12:00:00Z");
    const { cert, notAfter } = selfSignedCert({
      commonName: "metrics",
      altNames: ["localhost", "svc.ns.svc", "127.0.0.1", "::1"],
      now,
    });
    const x = new X509Certificate(cert);
    expect(x.subject).toBe("CN=metrics");
    expect(x.issuer).toBe("CN=metrics");
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.ca).toBe(false);
    expect(x.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]);
    expect(x.subjectAltName).toBe(
      "DNS:localhost, DNS:svc.ns.svc, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1",
    );
    expect(new Date(x.validFrom).getTime()).toBeLessThan(now.getTime());
    expect(new Date(x.validTo).getTime()).toBe(notAfter.getTime());
    expect(x.checkHost("svc.ns.svc")).toBe("svc.ns.svc");
    expect(x.checkIP("127.0.0.1")).toBe("127.0.0.1");
  });

  it("serves TLS that a client trusting it verifies, and each call makes a new key", async () => {
    const a = selfSignedCert({ commonName: "metrics", altNames: ["localhost"] });
    const b = selfSignedCert({ commonName: "metrics", altNames: ["localhost"] });
    expect(a.key).not.toBe(b.key);
    const server = createServer({ cert: a.cert, key: a.key }, (_req, res) => res.end("ok"));
    servers.push(server);
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const socket = connect({
      port: (server.address() as AddressInfo).port,
      host: "127.0.0.1",
      servername: "localhost",
      ca: a.cert,
    });
    await once(socket, "secureConnect");
    expect(socket.authorized).toBe(true);
    socket.destroy();
  });

  it("encodes dates after 2049 as GeneralizedTime", () => {
    const { cert } = selfSignedCert({ commonName: "x", now: new Date("2049-12-31T00:00:00Z") });
    expect(new X509Certificate(cert).validTo).toMatch(/2050/);
  });
});
