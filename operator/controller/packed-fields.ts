/**
 * PackedFields holds a managedFields entry's fieldsV1 as its JSON text. Decoded, fieldsV1 is a tree with an
 * empty object per owned field: a Deployment's is ~4.4 KiB of heap in some hundred objects, more than its spec
 * and status together (heap snapshot at 3,000 Greeters, bench/operator). Packed it is one compact string,
 * decoded only when a reconcile asks which fields it owns.
 */
export class PackedFields {
  readonly json: string;

  constructor(fields: object) {
    this.json = JSON.stringify(fields);
  }

  unpack(): Record<string, unknown> {
    return JSON.parse(this.json) as Record<string, unknown>;
  }
}

/** fieldsV1 as a tree, whether it was cached packed or arrived decoded. */
export function fieldsTree(fieldsV1: object | undefined): Record<string, unknown> | undefined {
  if (fieldsV1 instanceof PackedFields) return fieldsV1.unpack();
  if (typeof fieldsV1 === "object" && fieldsV1 !== null && !Array.isArray(fieldsV1))
    return fieldsV1 as Record<string, unknown>;
  return undefined;
}

/** fieldsV1 as JSON text, the same whether it was cached packed or arrived decoded. */
export function fieldsJson(fieldsV1: object | undefined): string | undefined {
  if (fieldsV1 instanceof PackedFields) return fieldsV1.json;
  return fieldsV1 === undefined ? undefined : JSON.stringify(fieldsV1);
}
