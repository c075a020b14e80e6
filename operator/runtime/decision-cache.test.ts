import { describe, expect, it } from "vitest";
import { DecisionCache } from "./decision-cache.ts";

describe("DecisionCache", () => {
  let now = 0;
  const clock = () => now;

  it("keeps an answer for as long as its TTL says, then asks again", async () => {
    now = 0;
    const cache = new DecisionCache<boolean>({ ttlMs: (ok) => (ok ? 300 : 30), maxEntries: 10, now: clock });
    let asked = 0;
    const ask = (answer: boolean) => async () => {
      asked++;
      return answer;
    };
    expect(await cache.get("yes", ask(true))).toBe(true);
    expect(await cache.get("no", ask(false))).toBe(false);
    now = 29;
    await cache.get("yes", ask(true));
    await cache.get("no", ask(false));
    expect(asked).toBe(2);
    now = 30;
    await cache.get("no", ask(false));
    await cache.get("yes", ask(true));
    expect(asked).toBe(3);
    now = 300;
    await cache.get("yes", ask(true));
    expect(asked).toBe(4);
  });

  it("asks once for concurrent askers, and not at all for a failure's next asker", async () => {
    now = 0;
    const cache = new DecisionCache<string>({ ttlMs: () => 1000, maxEntries: 10, now: clock });
    let asked = 0;
    let release: (v: string) => void = () => {};
    const pending = () => {
      asked++;
      return new Promise<string>((r) => {
        release = r;
      });
    };
    const both = Promise.all([cache.get("k", pending), cache.get("k", pending)]);
    release("v");
    expect(await both).toEqual(["v", "v"]);
    expect(asked).toBe(1);

    await expect(cache.get("bad", () => Promise.reject(new Error("down")))).rejects.toThrow("down");
    expect(await cache.get("bad", async () => "up")).toBe("up");
  });

  it("holds at most maxEntries, dropping the oldest", async () => {
    now = 0;
    const cache = new DecisionCache<number>({ ttlMs: () => 1000, maxEntries: 3, now: clock });
    for (let i = 0; i < 10; i++) await cache.get(`k${i}`, async () => i);
    expect(cache.size).toBe(3);
    let asked = false;
    await cache.get("k0", async () => {
      asked = true;
      return 0;
    });
    expect(asked).toBe(true);
  });
});
