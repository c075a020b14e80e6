/**
 * ServingCert is the TLS certificate and key an HTTPS server of the operator presents, from one of two places:
 * - a directory with tls.crt and tls.key (a mounted kubernetes.io/tls Secret, e.g. one cert-manager issues),
 *   re-read every `checkEveryMs` (10 s): the kubelet swaps a Secret's files in place when cert-manager renews
 *   it, so a changed pair is handed to `onChange` and served from the next connection on, with no restart. A
 *   pair that does not load (half-written, key and certificate not matching) is logged and skipped;
 * - else a self-signed certificate made in memory at start (self-signed-cert.ts), made anew once half its
 *   year has passed.
 * Polling, not fs.watch: a Secret volume changes by an atomic symlink swap that inotify reports unreliably.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createSecureContext } from "node:tls";
import type { Logger } from "pino";
import { type SelfSignedOptions, selfSignedCert } from "./self-signed-cert.ts";

export interface TlsPair {
  cert: string;
  key: string;
}

export interface ServingCertOptions {
  /** The directory holding tls.crt and tls.key; without it, a self-signed certificate. */
  certDir?: string | undefined;
  selfSigned: SelfSignedOptions;
  log: Logger;
  checkEveryMs?: number;
  now?: () => number;
}

export class ServingCert {
  readonly source: "files" | "self-signed";
  #current: TlsPair;
  #renewAt = Number.POSITIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;
  readonly #o: ServingCertOptions;
  readonly #now: () => number;

  /** Throws when `certDir` is given but its pair does not load: a misconfiguration to fail on at start. */
  constructor(o: ServingCertOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
    if (o.certDir !== undefined) {
      this.source = "files";
      this.#current = readPair(o.certDir);
    } else {
      this.source = "self-signed";
      this.#current = this.#selfSigned();
    }
  }

  get current(): TlsPair {
    return this.#current;
  }

  /** Starts checking for a new pair; `onChange` gets each one. */
  start(onChange: (pair: TlsPair) => void): void {
    this.#timer = setInterval(() => {
      const next = this.#next();
      if (next === undefined) return;
      this.#current = next;
      onChange(next);
    }, this.#o.checkEveryMs ?? 10_000);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #next(): TlsPair | undefined {
    if (this.source === "self-signed") {
      if (this.#now() < this.#renewAt) return undefined;
      this.#o.log.info("renewing the self-signed serving certificate");
      return this.#selfSigned();
    }
    try {
      const pair = readPair(this.#o.certDir as string);
      if (pair.cert === this.#current.cert && pair.key === this.#current.key) return undefined;
      this.#o.log.info({ dir: this.#o.certDir }, "serving certificate changed: reloaded");
      return pair;
    } catch (err) {
      this.#o.log.warn(
        { dir: this.#o.certDir, err },
        "serving certificate does not load; keeping the previous one",
      );
      return undefined;
    }
  }

  #selfSigned(): TlsPair {
    const now = this.#now();
    const made = selfSignedCert({ ...this.#o.selfSigned, now: new Date(now) });
    this.#renewAt = now + (made.notAfter.getTime() - now) / 2;
    return { cert: made.cert, key: made.key };
  }
}

function readPair(dir: string): TlsPair {
  const pair = {
    cert: readFileSync(join(dir, "tls.crt"), "utf8"),
    key: readFileSync(join(dir, "tls.key"), "utf8"),
  };
  // Throws on a broken or mismatched pair, before any server is handed it.
  createSecureContext(pair);
  return pair;
}
