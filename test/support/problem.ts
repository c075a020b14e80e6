/** Reads an RFC 9457 problem body in tests, typed. */
export type ProblemBody = { type: string; title: string; status: number; detail: string; requestId?: string };

export async function problemBody(res: Response): Promise<ProblemBody> {
  return (await res.json()) as ProblemBody;
}
