// Prints vitest's JSON reports (one or more, e.g. the local run and the kind suite's) as one plain closing
// line "tests: N passed, N failed[, N skipped]".
import { readFileSync } from "node:fs";

type Report = {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
};
const files = process.argv.length > 2 ? process.argv.slice(2) : [".tmp/vitest.json"];
const reports = files.map((f) => JSON.parse(readFileSync(f, "utf8")) as Report);
const sum = (pick: (r: Report) => number) => reports.reduce((n, r) => n + pick(r), 0);
const skipped = sum((r) => r.numPendingTests + r.numTodoTests);
console.log(
  `tests: ${sum((r) => r.numPassedTests)} passed, ${sum((r) => r.numFailedTests)} failed${skipped ? `, ${skipped} skipped` : ""}`,
);
