import { describe, expect, it } from "vitest";
import { ApiError } from "../runtime/api-error.ts";
import { classifyApplyFailure, TRANSIENT_REPORT_AFTER_MS, TransientFailures } from "./apply-failures.ts";

const status = (code: number, reason: string, message: string, causes?: Array<{ message: string }>) =>
  new ApiError(code, reason, `${code} ${reason}: ${message}`, {
    kind: "Status",
    code,
    reason,
    message,
    ...(causes ? { details: { causes } } : {}),
  });
const reset = Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" });

describe("classifyApplyFailure", () => {
  it("calls throttling, server errors, timeouts and broken connections transient", () => {
    expect(classifyApplyFailure(status(429, "TooManyRequests", "rate limited"))).toBe("transient");
    expect(
      classifyApplyFailure(
        status(500, "InternalError", 'failed calling webhook "w": context deadline exceeded'),
      ),
    ).toBe("transient");
    expect(classifyApplyFailure(status(504, "Timeout", "request timed out"))).toBe("transient");
    expect(classifyApplyFailure(new DOMException("The operation timed out", "TimeoutError"))).toBe(
      "transient",
    );
    expect(classifyApplyFailure(new TypeError("fetch failed", { cause: reset }))).toBe("transient");
  });

  it("calls a refusal over a resource others hold external, and any other refusal invalid", () => {
    const allocated = { message: "Invalid value: 30080: provided port is already allocated" };
    expect(classifyApplyFailure(status(422, "Invalid", "x", [allocated]))).toBe("external");
    const range = { message: "Invalid value: 80: provided port is not in the valid range" };
    expect(classifyApplyFailure(status(422, "Invalid", "x", [allocated, range]))).toBe("invalid");
    expect(classifyApplyFailure(status(400, "BadRequest", "bad"))).toBe("invalid");
  });

  it("leaves anything else (RBAC, quota) to plain retries", () => {
    expect(classifyApplyFailure(status(403, "Forbidden", "exceeded quota: q, requested: services=1"))).toBe(
      "other",
    );
    expect(classifyApplyFailure(new Error("boom"))).toBe("other");
  });
});

describe("TransientFailures", () => {
  it("reports a run of failures once it lasted the threshold, and starts afresh after a success", () => {
    const t = new TransientFailures();
    expect(t.persisted("ns/a", 1000)).toBe(false);
    expect(t.persisted("ns/a", 1000 + TRANSIENT_REPORT_AFTER_MS - 1)).toBe(false);
    expect(t.persisted("ns/a", 1000 + TRANSIENT_REPORT_AFTER_MS)).toBe(true);
    t.forget("ns/a");
    expect(t.persisted("ns/a", 1000 + 2 * TRANSIENT_REPORT_AFTER_MS)).toBe(false);
  });
});
