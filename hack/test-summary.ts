// Prints vitest's JSON reports (one or more, e.g. the local run and the kind suite's) as one plain closing
// line "tests: N passed, N failed[, N skipped]", preceded by one line per failure. CI keeps only the tail of
// the output, so the names of what failed must be there, not only in the reports it throws away.
import { readFileSync } from "node:fs";
import { basename, relative } from "node:path";

type Assertion = { status: string; fullName: string; failureMessages?: string[] };
type FileResult = { name: string; status: string; message?: string; assertionResults: Assertion[] };
type Report = {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults?: FileResult[];
};
const files = process.argv.length > 2 ? process.argv.slice(2) : [".tmp/vitest.json"];
const reports = files.map((f) => ({ file: f, report: JSON.parse(readFileSync(f, "utf8")) as Report }));
const sum = (pick: (r: Report) => number) => reports.reduce((n, { report }) => n + pick(report), 0);

const firstLine = (text: string | undefined) =>
  (text ?? "")
    .split("\n")
    .map((l) => l.trim())
    .find((l) => l.length > 0)
    ?.slice(0, 300) ?? "";

for (const { file, report } of reports) {
  for (const result of report.testResults ?? []) {
    const where = `${basename(file, ".json")}: ${relative(process.cwd(), result.name)}`;
    const failed = result.assertionResults.filter((a) => a.status === "failed");
    for (const a of failed) console.log(`FAILED ${where} > ${a.fullName}: ${firstLine(a.failureMessages?.[0])}`);
    // A failure outside any test (a hook, an import) leaves no failed assertion, only the file's message.
    if (result.status === "failed" && failed.length === 0) console.log(`FAILED ${where}: ${firstLine(result.message)}`);
  }
}
const skipped = sum((r) => r.numPendingTests + r.numTodoTests);
console.log(
  `tests: ${sum((r) => r.numPassedTests)} passed, ${sum((r) => r.numFailedTests)} failed${skipped ? `, ${skipped} skipped` : ""}`,
);
