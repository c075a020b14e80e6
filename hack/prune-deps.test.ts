import { describe, expect, it } from "vitest";
import { closure, importedPackages, type Lockfile } from "./prune-deps.ts";

describe("importedPackages", () => {
  it("finds static, side-effect, dynamic and require imports, by package name", () => {
    const source = [
      'import express from "express";',
      'import { z } from "zod/v4";',
      'import "@scope/side-effect/register.js";',
      'const m = await import("pino");',
      'const y = require("yaml");',
      'export * from "prom-client";',
    ].join("\n");
    expect([...importedPackages(source)].sort()).toEqual([
      "@scope/side-effect",
      "express",
      "pino",
      "prom-client",
      "yaml",
      "zod",
    ]);
  });

  it("ignores quoted text that only follows the words import or require, as bundled code has it", () => {
    const source =
      'if (token === "--require" || token === "-r" || token === "--import") {\n  i++;\n}\nif (token.startsWith("--import=")) {}';
    expect(importedPackages(source).size).toBe(0);
  });

  it("ignores relative files and Node builtins", () => {
    const source = 'import { a } from "./a.js";\nimport fs from "node:fs";\nimport path from "path";';
    expect(importedPackages(source).size).toBe(0);
  });
});

describe("closure", () => {
  const lock: Lockfile = {
    packages: {
      "": { dependencies: { app: "1", big: "1" } },
      "node_modules/app": { dependencies: { shared: "^2", tiny: "1" } },
      "node_modules/app/node_modules/shared": {},
      "node_modules/shared": {},
      "node_modules/tiny": { optionalDependencies: { absent: "1" } },
      "node_modules/big": { dependencies: { shared: "1" } },
    },
  };

  it("keeps what the roots need, resolving nested copies the way Node does", () => {
    expect([...closure(lock, ["app"])].sort()).toEqual([
      "node_modules/app",
      "node_modules/app/node_modules/shared",
      "node_modules/tiny",
    ]);
  });

  it("keeps a package that several roots share only once", () => {
    expect([...closure(lock, ["app", "big"])].sort()).toEqual([
      "node_modules/app",
      "node_modules/app/node_modules/shared",
      "node_modules/big",
      "node_modules/shared",
      "node_modules/tiny",
    ]);
  });
});
