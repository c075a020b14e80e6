/**
 * The rules for a name: a single string, trimmed, 1..max characters (Unicode code points, so "李雷" is 2
 * and an emoji is 1), well-formed Unicode, and no control characters or line/paragraph separators.
 */
import * as z from "zod";

// Cc covers C0/C1 controls (tab, newline, escape, DEL...); Zl/Zp are the Unicode line and paragraph breaks.
const FORBIDDEN = /[\p{Cc}\p{Zl}\p{Zp}]/u;

export const MISSING_NAME_DETAIL =
  'A name is required: send {"name": "..."} as JSON, name=... as a form field, or ?name=... in the query.';

function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export function nameSchema(maxLength: number) {
  return (
    z
      .string({
        error: (issue) =>
          issue.input === undefined ? MISSING_NAME_DETAIL : "The name must be a single string.",
      })
      .trim()
      .min(1, "The name must not be empty or only whitespace.")
      .refine((s) => s.isWellFormed(), { message: "The name must be valid Unicode text.", abort: true })
      .refine((s) => !FORBIDDEN.test(s), {
        message: "The name must not contain control characters or line breaks.",
        abort: true,
      })
      // Only names longer than max UTF-16 units can be over the limit, so the common case skips the count.
      .refine((s) => s.length <= maxLength || codePointLength(s) <= maxLength, {
        message: `The name must be at most ${maxLength} characters.`,
      })
  );
}
