// hack/docker/runc-bounded: what a --privileged container asks runc for, minus what the host's capability
// bounding set cannot grant; everything else reaches the real runc untouched. The real runc is a stand-in
// script here that records its arguments and the spec it was given.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const WRAPPER = join(import.meta.dirname, "runc-bounded");
// Every capability Docker knows (0..40) but CAP_SYS_RESOURCE (24): the bounding set of the CI machines.
const WITHOUT_SYS_RESOURCE = "000001fffeffffff";
const ALL = "000001ffffffffff";
const PRIVILEGED = [
  "CAP_CHOWN",
  "CAP_SYS_ADMIN",
  "CAP_SYS_RESOURCE",
  "CAP_NET_ADMIN",
  "CAP_CHECKPOINT_RESTORE",
];

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "runc-bounded-"));
  const fake = join(dir, "runc");
  writeFileSync(fake, `#!/bin/sh\nprintf '%s\\n' "$*" > "${dir}/argv"\n`);
  chmodSync(fake, 0o755);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function spec(caps: string[]) {
  return {
    ociVersion: "1.0.2",
    process: {
      args: ["/sbin/init"],
      capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: caps },
    },
    root: { path: "rootfs" },
  };
}

function wrap(args: string[], capbnd: string, cwd = dir) {
  const res = spawnSync(WRAPPER, args, {
    cwd,
    encoding: "utf8",
    env: { PATH: process.env.PATH, GREETER_REAL_RUNC: join(dir, "runc"), RUNC_BOUNDED_CAPBND: capbnd },
  });
  expect(res.stderr).toBe("");
  expect(res.status).toBe(0);
  return readFileSync(join(dir, "argv"), "utf8").trim();
}

describe("runc-bounded", () => {
  it("create: drops from every capability set what the bounding set lacks, keeps the rest", () => {
    const bundle = join(dir, "bundle");
    mkdirSync(bundle);
    writeFileSync(join(bundle, "config.json"), JSON.stringify(spec(PRIVILEGED)));
    const argv = ["--root", "/run/docker/runc", "create", "--bundle", bundle, "--pid-file", "p", "id1"];
    expect(wrap(argv, WITHOUT_SYS_RESOURCE)).toBe(argv.join(" "));
    const caps = JSON.parse(readFileSync(join(bundle, "config.json"), "utf8")).process.capabilities;
    const kept = PRIVILEGED.filter((c) => c !== "CAP_SYS_RESOURCE");
    expect(caps).toEqual({ bounding: kept, effective: kept, permitted: kept, inheritable: kept });
  });

  it("create without --bundle: the bundle is the working directory, as runc takes it", () => {
    writeFileSync(join(dir, "config.json"), JSON.stringify(spec(PRIVILEGED)));
    wrap(["create", "id2"], WITHOUT_SYS_RESOURCE);
    const caps = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")).process.capabilities;
    expect(caps.bounding).not.toContain("CAP_SYS_RESOURCE");
    expect(caps.bounding).toContain("CAP_SYS_ADMIN");
  });

  it("exec: filters the --process file", () => {
    const processFile = join(dir, "process.json");
    writeFileSync(processFile, JSON.stringify({ args: ["sh"], capabilities: { bounding: PRIVILEGED } }));
    wrap(["exec", "--process", processFile, "--detach", "id3"], WITHOUT_SYS_RESOURCE);
    const caps = JSON.parse(readFileSync(processFile, "utf8")).capabilities;
    expect(caps.bounding).toEqual(PRIVILEGED.filter((c) => c !== "CAP_SYS_RESOURCE"));
  });

  it("leaves the spec byte for byte alone on a host whose bounding set is complete, and other commands alone", () => {
    const text = JSON.stringify(spec(PRIVILEGED));
    writeFileSync(join(dir, "config.json"), text);
    wrap(["create", "--bundle", dir, "id4"], ALL);
    wrap(["state", "id4"], WITHOUT_SYS_RESOURCE);
    expect(readFileSync(join(dir, "config.json"), "utf8")).toBe(text);
  });
});
