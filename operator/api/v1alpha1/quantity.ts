/**
 * Kubernetes resource quantities ("500m", "1Gi", 2, "1e3"): validation pattern and exact comparison. The API server
 * canonicalises quantities it stores ("0.5" → "500m", "1024Mi" → "1Gi"), so the reconciler compares values, never
 * strings, or it would re-apply forever.
 */

/** The API server's quantity grammar without a sign: requests and limits cannot be negative. */
export const QUANTITY_PATTERN =
  "^(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$";
const QUANTITY_RE = new RegExp(QUANTITY_PATTERN);

const BINARY: Record<string, bigint> = { Ki: 1n, Mi: 2n, Gi: 3n, Ti: 4n, Pi: 5n, Ei: 6n };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/** An exact rational value num / den. */
export interface QuantityValue {
  num: bigint;
  den: bigint;
}

export function isQuantity(value: unknown): value is string | number {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0;
  return typeof value === "string" && QUANTITY_RE.test(value);
}

/** Parses a quantity exactly; throws on anything isQuantity rejects. */
export function parseQuantity(value: string | number): QuantityValue {
  if (!isQuantity(value)) throw new Error(`invalid quantity ${JSON.stringify(value)}`);
  if (typeof value === "number") return { num: BigInt(value), den: 1n };
  const match = /^([0-9]*)(?:\.([0-9]*))?(.*)$/.exec(value);
  const [, whole = "", fraction = "", suffix = ""] = match ?? [];
  let num = BigInt(`${whole}${fraction}` || "0");
  let den = 10n ** BigInt(fraction.length);
  const binary = BINARY[suffix];
  if (binary !== undefined) {
    num *= 1024n ** binary;
  } else {
    const exponent = suffix in DECIMAL ? (DECIMAL[suffix] ?? 0) : Number(suffix.slice(1));
    if (exponent >= 0) num *= 10n ** BigInt(exponent);
    else den *= 10n ** BigInt(-exponent);
  }
  return { num, den };
}

/** -1, 0 or 1 as a is less than, equal to or greater than b. */
export function compareQuantities(a: string | number, b: string | number): number {
  const x = parseQuantity(a);
  const y = parseQuantity(b);
  const left = x.num * y.den;
  const right = y.num * x.den;
  return left < right ? -1 : left > right ? 1 : 0;
}

export function quantitiesEqual(a: unknown, b: unknown): boolean {
  return isQuantity(a) && isQuantity(b) && compareQuantities(a, b) === 0;
}
