// Prints vitest's JSON reports (one or more, e.g. the local run and the kind suite's) as one plain closing
// line "tests: N passed, N failed[, N skipped]", preceded by one line per failure. CI keeps only the tail of
// the output, so the names of what failed must be there, not only in the reports it throws away.
import { readFileSync } from "node:fs";
import { basename, relative } from "node:path";

type Assertion = { status: string; fullName: string; failureMessages?: string[] };
type FileResult = { name: string; status: string; message?: string; assertionResults: Assertion[] };
export type Report = {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  success?: boolean;
  testResults?: FileResult[];
};

const firstLine = (text: string | undefined) =>
  (text ?? "")
    .split("\n")
    .map((l) => l.trim())
    .find((l) => l.length > 0)
    ?.slice(0, 300) ?? "";

/** The lines to print for reports named by their files (the name of each report is its file's base name). */
export function summarize(reports: Array<{ file: string; report: Report }>, cwd = process.cwd()): string[] {
  const lines: string[] = [];
  for (const { file, report } of reports) {
    const run = basename(file, ".json");
    const before = lines.length;
    for (const result of report.testResults ?? []) {
      const where = `${run}: ${relative(cwd, result.name)}`;
      const failed = result.assertionResults.filter((a) => a.status === "failed");
      for (const a of failed)
        lines.push(`FAILED ${where} > ${a.fullName}: ${firstLine(a.failureMessages?.[0])}`);
      // A failure outside any test (a hook, an import) leaves no failed assertion, only the file's message.
      if (result.status === "failed" && failed.length === 0)
        lines.push(`FAILED ${where}: ${firstLine(result.message)}`);
    }
    // An unhandled error fails the run while every test passed; its stack is only in vitest's own output.
    if (report.success === false && lines.length === before)
      lines.push(`FAILED ${run}: an error outside any test (vitest's "Unhandled Errors" above)`);
  }
  const sum = (pick: (r: Report) => number) => reports.reduce((n, { report }) => n + pick(report), 0);
  const skipped = sum((r) => r.numPendingTests + r.numTodoTests);
  lines.push(
    `tests: ${sum((r) => r.numPassedTests)} passed, ${sum((r) => r.numFailedTests)} failed${skipped ? `, ${skipped} skipped` : ""}`,
  );
  return lines;
}

if (import.meta.main) {
  const files = process.argv.length > 2 ? process.argv.slice(2) : [".tmp/vitest.json"];
  const reports = files.map((file) => ({ file, report: JSON.parse(readFileSync(file, "utf8")) as Report }));
  for (const line of summarize(reports)) console.log(line);
}
