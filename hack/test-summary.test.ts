import { describe, expect, it } from "vitest";
import { type Report, summarize } from "./test-summary.ts";

const counts = { numPassedTests: 0, numFailedTests: 0, numPendingTests: 0, numTodoTests: 0 };

describe("the closing test summary", () => {
  it("names each failed test with its run, file and the first line of its error, then the totals", () => {
    const e2e: Report = {
      ...counts,
      numPassedTests: 3,
      numFailedTests: 1,
      success: false,
      testResults: [
        {
          name: "/repo/test/e2e/alerts.test.ts",
          status: "failed",
          assertionResults: [
            { status: "passed", fullName: "quiet alerts stay quiet" },
            {
              status: "failed",
              fullName: "alerts GreeterDegraded fires",
              failureMessages: [
                "\nAssertionError: expected 'pending' to be 'firing'\n    at alerts.test.ts:9:1",
              ],
            },
          ],
        },
      ],
    };
    const unit: Report = {
      ...counts,
      numPassedTests: 10,
      numPendingTests: 2,
      success: true,
      testResults: [],
    };
    expect(
      summarize(
        [
          { file: "reports/e2e.json", report: e2e },
          { file: ".tmp/vitest.json", report: unit },
        ],
        "/repo",
      ),
    ).toEqual([
      "FAILED e2e: test/e2e/alerts.test.ts > alerts GreeterDegraded fires: AssertionError: expected 'pending' to be 'firing'",
      "tests: 13 passed, 1 failed, 2 skipped",
    ]);
  });

  it("names a file whose hook failed, whose tests were only skipped", () => {
    const report: Report = {
      ...counts,
      numPendingTests: 9,
      success: false,
      testResults: [
        {
          name: "/repo/test/system/x.test.ts",
          status: "failed",
          message: "Hook timed out in 180000ms.",
          assertionResults: [{ status: "skipped", fullName: "a" }],
        },
      ],
    };
    expect(summarize([{ file: "vitest.json", report }], "/repo")).toEqual([
      "FAILED vitest: test/system/x.test.ts: Hook timed out in 180000ms.",
      "tests: 0 passed, 0 failed, 9 skipped",
    ]);
  });

  it("says a run failed outside any test when every test passed", () => {
    const report: Report = { ...counts, numPassedTests: 5, success: false, testResults: [] };
    expect(summarize([{ file: "vitest.json", report }])[0]).toBe(
      `FAILED vitest: an error outside any test (vitest's "Unhandled Errors" above)`,
    );
  });
});
