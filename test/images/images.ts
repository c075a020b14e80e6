/**
 * The images under test and how the tests run them: the tags hack/images.sh builds (version from
 * package.json, the names config/manager deploys), and a GenericContainer that always runs hardened the way
 * a restricted Pod runs it: read-only root filesystem, every capability dropped, no privilege escalation,
 * on the host network (no registry, no port mapping: everything stays on loopback).
 */
import { readFileSync } from "node:fs";
import { GenericContainer } from "testcontainers";

const version = (
  JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
).version;

export const GREETER_IMAGE = `greeter:${version}`;
export const OPERATOR_IMAGE = `greeter-operator:${version}`;
export const VERSION = version;

/** Every container these tests start carries it, so global teardown can remove leftovers of a crashed run. */
export const TEST_LABEL = "org.greeter-operator.test";

export class HardenedContainer extends GenericContainer {
  constructor(image: string) {
    super(image);
    this.hostConfig.ReadonlyRootfs = true;
    this.withDroppedCapabilities("ALL")
      .withSecurityOpt("no-new-privileges")
      .withNetworkMode("host")
      .withLabels({ [TEST_LABEL]: "images" });
  }
}
