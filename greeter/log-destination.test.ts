import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { batchedStdout } from "./log-destination.ts";

const lines = (n: number) => Array.from({ length: n }, (_, i) => `{"n":${i},"msg":"request"}\n`);

describe("batchedStdout", () => {
  it("writes every line, in order, across many batches, once flushed", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "log-destination-")), "out.log");
    const fd = openSync(file, "w");
    const destination = batchedStdout(fd);
    const written = lines(5000);
    for (const line of written) destination.write(line);
    await new Promise<void>((resolve, reject) => destination.flush((err) => (err ? reject(err) : resolve())));
    closeSync(fd);
    expect(readFileSync(file, "utf8")).toBe(written.join(""));
  });

  it("still writes the last lines of a process that exits without flushing", () => {
    const module = new URL("./log-destination.ts", import.meta.url).pathname;
    const child = spawnSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const { batchedStdout } = await import(${JSON.stringify(module)});
         const d = batchedStdout(); d.write("first\\n"); d.write("last\\n"); process.exit(3);`,
      ],
      { encoding: "utf8" },
    );
    expect(child.status).toBe(3);
    expect(child.stdout).toBe("first\nlast\n");
  });
});
