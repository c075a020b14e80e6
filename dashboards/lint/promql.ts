/**
 * Reads a Grafana PromQL target the way Prometheus would, using Prometheus's own lezer grammar, so the lint
 * rules reason about the syntax tree instead of guessing with regular expressions. Grafana's template
 * variables are not PromQL: `[$__rate_interval]` is swapped for a sentinel duration before parsing, and
 * `$var` only ever appears inside label-matcher strings, which parse as they are.
 */
import type { SyntaxNode } from "@lezer/common";
import { parser } from "@prometheus-io/lezer-promql";

/** A duration no hand-written query uses, so finding it in the tree means "this was $__rate_interval". */
const RATE_INTERVAL_SENTINEL = "4242s";

export type Matcher = { label: string; op: string; value: string };
export type Selector = {
  metric: string;
  matchers: Matcher[];
  rangeFunction?: string;
  range?: string;
  /** On the right of `and` / `unless`: it only chooses which series of the left side are kept. */
  filter?: true;
};

export type Analysis = {
  parseErrors: string[];
  selectors: Selector[];
  /** Functions applied to a range vector (rate, increase, changes...), with the range as written. */
  rangeCalls: Array<{ fn: string; range: string }>;
  /** Outermost function call, if the whole expression is one (e.g. histogram_quantile). */
  outerFunction?: string;
  /** True when a division has a rate/irate/increase on both sides: the result is a ratio. */
  isRatioOfRates: boolean;
  /** Grafana `$__...` macros other than `$__rate_interval`. */
  otherMacros: string[];
};

const RANGE_FUNCTIONS = new Set(["rate", "irate", "increase"]);

export function analyze(expr: string): Analysis {
  const otherMacros = [...expr.matchAll(/\$__\w+/g)].map((m) => m[0]).filter((m) => m !== "$__rate_interval");
  const source = expr.replaceAll("$__rate_interval", RATE_INTERVAL_SENTINEL);
  const tree = parser.parse(source);
  const text = (node: SyntaxNode) => source.slice(node.from, node.to);
  const parseErrors: string[] = [];
  const selectors: Selector[] = [];
  const rangeCalls: Analysis["rangeCalls"] = [];
  let isRatioOfRates = false;
  const filters: Array<{ from: number; to: number }> = [];
  const inFilter = (node: SyntaxNode) => filters.some((f) => node.from >= f.from && node.to <= f.to);

  tree.iterate({
    enter(ref) {
      const node = ref.node;
      if (ref.type.isError) {
        parseErrors.push(
          `syntax error at ${node.from}: ${JSON.stringify(source.slice(node.from, node.from + 20))}`,
        );
      }
      if (ref.name === "BinaryExpr" && (node.getChild("And") || node.getChild("Unless")) && node.lastChild)
        filters.push({ from: node.lastChild.from, to: node.lastChild.to });
      if (ref.name === "VectorSelector") {
        const selector = withRangeFunction(selectorOf(node, text), node, text);
        selectors.push(inFilter(node) ? { ...selector, filter: true } : selector);
      }
      if (ref.name === "FunctionCall") {
        const fn = text(node.getChild("FunctionIdentifier") ?? node);
        const matrix = node.getChild("FunctionCallBody")?.getChild("MatrixSelector");
        if (matrix) rangeCalls.push({ fn, range: durationOf(matrix, text) });
      }
      if (ref.name === "BinaryExpr" && node.getChild("Div")) {
        const [left, right] = [node.firstChild, node.lastChild];
        if (left && right && usesRangeFunction(left, text) && usesRangeFunction(right, text))
          isRatioOfRates = true;
      }
    },
  });

  const top = unwrapParens(tree.topNode.firstChild);
  const outerFunction =
    top?.name === "FunctionCall" ? text(top.getChild("FunctionIdentifier") ?? top) : undefined;
  return {
    parseErrors,
    selectors,
    rangeCalls: rangeCalls.map((c) => ({ ...c, range: restoreRange(c.range) })),
    ...(outerFunction ? { outerFunction } : {}),
    isRatioOfRates,
    otherMacros,
  };
}

/** `rate(x[5m])`: the VectorSelector sits in a MatrixSelector, in the body of the call that consumes it. */
function withRangeFunction(selector: Selector, node: SyntaxNode, text: (n: SyntaxNode) => string): Selector {
  const matrix = node.parent;
  const call = matrix?.parent?.parent;
  if (matrix?.name !== "MatrixSelector" || call?.name !== "FunctionCall") return selector;
  const fn = text(call.getChild("FunctionIdentifier") ?? call);
  return { ...selector, rangeFunction: fn, range: restoreRange(durationOf(matrix, text)) };
}

function restoreRange(range: string): string {
  return range === RATE_INTERVAL_SENTINEL ? "$__rate_interval" : range;
}

function selectorOf(node: SyntaxNode, text: (n: SyntaxNode) => string): Selector {
  const matchers: Matcher[] = [];
  for (const m of collect(node, "UnquotedLabelMatcher")) {
    const label = m.getChild("LabelName");
    const op = m.getChild("MatchOp");
    const value = m.getChild("StringLiteral");
    if (label && op && value)
      matchers.push({ label: text(label), op: text(op), value: JSON.parse(text(value)) });
  }
  const id = node.getChild("Identifier");
  return { metric: id ? text(id) : "", matchers };
}

function durationOf(matrix: SyntaxNode, text: (n: SyntaxNode) => string): string {
  const duration =
    matrix.getChild("DurationExpr") ?? matrix.getChild("NumberDurationLiteralInDurationContext");
  return duration ? text(duration) : "";
}

function usesRangeFunction(node: SyntaxNode, text: (n: SyntaxNode) => string): boolean {
  return collect(node, "FunctionCall").some((call) =>
    RANGE_FUNCTIONS.has(text(call.getChild("FunctionIdentifier") ?? call)),
  );
}

function unwrapParens(node: SyntaxNode | null): SyntaxNode | null {
  let current = node;
  while (current?.name === "ParenExpr") current = current.firstChild?.nextSibling ?? current.firstChild;
  return current;
}

function collect(node: SyntaxNode, name: string): SyntaxNode[] {
  const found: SyntaxNode[] = node.name === name ? [node] : [];
  for (let child = node.firstChild; child; child = child.nextSibling) found.push(...collect(child, name));
  return found;
}

export function isRangeFunction(fn: string | undefined): boolean {
  return fn !== undefined && RANGE_FUNCTIONS.has(fn);
}
