/**
 * What a reconcile asks for next. `Action.requeueAfter(ms)` is the safe default: it stays eventually
 * consistent even if a watch event is missed. `Action.awaitChange()` waits for the next event or resync.
 * Throwing retries with per-key backoff; throwing a TerminalError does not retry (the input must change).
 */
export class Action {
  readonly requeueAfterMs: number | undefined;

  private constructor(requeueAfterMs: number | undefined) {
    this.requeueAfterMs = requeueAfterMs;
  }

  static requeueAfter(ms: number): Action {
    return new Action(Math.max(0, ms));
  }

  static awaitChange(): Action {
    return new Action(undefined);
  }
}

/** An error that retrying cannot fix; it is logged and counted, and the key waits for a change. */
export class TerminalError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TerminalError";
  }
}
