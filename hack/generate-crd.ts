/** Writes crds/ from the zod schema of the Greeter API (see operator/api/v1alpha1/greeter-crd.ts). */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { crdFiles } from "../operator/api/v1alpha1/greeter-crd.ts";

const dir = join(import.meta.dirname, "..", "crds");
mkdirSync(dir, { recursive: true });
for (const [name, content] of Object.entries(crdFiles())) {
  writeFileSync(join(dir, name), content);
  console.log(`wrote crds/${name}`);
}
