/**
 * `node bench/greeter/log-lines.ts`: CPU per access-log line of three pino destinations, written to /dev/null in
 * bursts of 50 lines between event-loop turns, as requests arrive: pino's asynchronous sonic-boom, sonic-boom's
 * own batching (sync, minLength 8 KiB), and the greeter's batchedStdout (greeter/log-destination.ts). CPU time of
 * the whole process (thread pool included) per line, three rounds; a busy machine moves it less than it moves
 * req/s, and the three are measured in turn within each round.
 */
import { openSync } from "node:fs";
import { pino } from "pino";
import { batchedStdout } from "../../greeter/log-destination.ts";

const LINES = 200_000;
const BURST = 50;
const line = `${JSON.stringify({
  level: "info",
  time: Date.now(),
  service: "greeter",
  requestId: "0b6c3c1e-5a8f-4f7e-9d1c-1f2e3d4c5b6a",
  method: "POST",
  route: "/echo-name",
  statusCode: 200,
  durationMs: 0.4123,
  msg: "request",
})}\n`;

type Destination = { write(line: string): unknown; flush?: (cb: (err?: Error) => void) => void };
const fd = openSync("/dev/null", "w");
const variants: [string, () => Destination][] = [
  ["pino.destination, async", () => pino.destination({ dest: fd, sync: false })],
  ["sonic-boom minLength 8 KiB, sync", () => pino.destination({ dest: fd, sync: true, minLength: 8192 })],
  ["batchedStdout (the greeter's)", () => batchedStdout(fd)],
];
const turn = () => new Promise((resolve) => setImmediate(resolve));

for (let round = 1; round <= 3; round++) {
  for (const [name, make] of variants) {
    const destination = make();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const before = process.cpuUsage();
    for (let i = 0; i < LINES; i += BURST) {
      for (let j = 0; j < BURST; j++) destination.write(line);
      await turn();
    }
    await new Promise<void>((resolve) =>
      destination.flush ? destination.flush(() => resolve()) : resolve(),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const used = process.cpuUsage(before);
    const ns = ((used.user + used.system) * 1000) / LINES;
    console.log(`round ${round}  ${name.padEnd(34)} ${ns.toFixed(0).padStart(5)} ns CPU per line`);
  }
}
process.exit(0);
