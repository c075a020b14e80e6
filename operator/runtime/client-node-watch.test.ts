// Pins @kubernetes/client-node's Watch behaviour from issue #3020: 2.0.0 aborted every watch after a fixed
// 30 s request timeout, healthy or not; PR #3022 (in 2.0.1) made it an inactivity timeout. Our Watcher does
// not use client-node's Watch (it needs bookmarks and its own restart policy), but this test fails if an
// upgrade brings the old behaviour back, for anyone tempted to use it.
import { Watch } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { type FakeApiServer, openWatch, startFakeApiServer, writeEvent } from "./testing/fake-api-server.ts";

describe("client-node Watch (installed version)", () => {
  let server: FakeApiServer | undefined;
  afterEach(async () => server?.close());

  async function watchWith(timeoutMs: number, events: number, everyMs: number) {
    server = await startFakeApiServer((_req, res) => {
      openWatch(res);
      let n = 0;
      const tick = setInterval(() => {
        if (n === events) {
          clearInterval(tick);
          return res.end();
        }
        writeEvent(res, "ADDED", { metadata: { name: `p${n++}`, resourceVersion: `${n}` } });
      }, everyMs);
      res.on("close", () => clearInterval(tick));
    });
    const watch = new Watch(server.kubeConfig());
    // The timeout is private; shrink it so the test does not take 30 s.
    (watch as unknown as { requestTimeoutMs: number }).requestTimeoutMs = timeoutMs;
    const received: string[] = [];
    const err = await new Promise<unknown>((resolve) => {
      void watch.watch("/api/v1/pods", {}, (_type, obj) => received.push(obj.metadata.name), resolve);
    });
    return { received, err };
  }

  it("does not cut a watch that keeps receiving data for longer than its request timeout", async () => {
    const { received, err } = await watchWith(1000, 25, 100);
    expect(err).toBeNull();
    expect(received).toHaveLength(25);
  });

  it("still ends a watch that goes silent, with a TimeoutError", async () => {
    const { received, err } = await watchWith(200, 0, 60_000);
    expect(received).toHaveLength(0);
    expect((err as Error).name).toBe("TimeoutError");
  });
});
