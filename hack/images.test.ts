import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const root = new URL("..", import.meta.url);

type Container = { name: string; image: string; env?: Array<{ name: string; value?: string }> };
type Deployment = { spec: { template: { spec: { containers: Container[] } } } };

describe("hack/images.sh and config/manager", () => {
  const { VERSION: _v, IMAGE_PREFIX: _p, ...env } = process.env;
  const [greeterTag, operatorTag] = execFileSync("bash", ["hack/images.sh", "--tags"], {
    cwd: root,
    env,
    encoding: "utf8",
  })
    .trim()
    .split("\n");
  const manager = (parse(readFileSync(new URL("config/manager/manager.yaml", root), "utf8")) as Deployment)
    .spec.template.spec.containers[0];

  it("builds the tags config/manager deploys, at the package.json version", () => {
    const { version } = JSON.parse(readFileSync(new URL("package.json", root), "utf8")) as {
      version: string;
    };
    expect(greeterTag).toBe(`greeter:${version}`);
    expect(operatorTag).toBe(`greeter-operator:${version}`);
    expect(manager?.image).toBe(operatorTag);
    expect(manager?.env).toContainEqual({ name: "GREETER_IMAGE", value: greeterTag });
  });
});
