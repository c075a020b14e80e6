import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

/** What is needed to find, stop and restart one component, from any process (state is kept on disk). */
export interface ComponentProcess {
  name: string;
  pid: number;
  binary: string;
  args: string[];
  logFile: string;
}

/**
 * Starts `binary` in its own process group, detached from the caller, so a component started by vitest's
 * globalSetup survives the test worker that restarts it, and its output goes to `logFile` (appended, so a
 * restart keeps the earlier log).
 */
export function startProcess(
  name: string,
  binary: string,
  args: string[],
  logFile: string,
): ComponentProcess {
  const fd = openSync(logFile, "a");
  try {
    const child = spawn(binary, args, { detached: true, stdio: ["ignore", fd, fd] });
    if (child.pid === undefined) throw new Error(`cannot start ${name} (${binary})`);
    child.unref();
    return { name, pid: child.pid, binary, args, logFile };
  } finally {
    closeSync(fd);
  }
}

async function procState(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // Field 3, after the parenthesised command name, which may itself contain spaces or parentheses.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
  } catch {
    return undefined;
  }
}

/** True while the process runs and is still the one started (a recycled pid runs another binary). */
export async function isRunning(p: ComponentProcess): Promise<boolean> {
  const state = await procState(p.pid);
  if (state === undefined || state === "Z" || state === "X") return false;
  try {
    const cmdline = await readFile(`/proc/${p.pid}/cmdline`, "utf8");
    return cmdline.split("\0")[0] === p.binary;
  } catch {
    return false;
  }
}

export function isRunningSync(p: ComponentProcess): boolean {
  try {
    const stat = readFileSync(`/proc/${p.pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    if (state === "Z" || state === "X") return false;
    return readFileSync(`/proc/${p.pid}/cmdline`, "utf8").split("\0")[0] === p.binary;
  } catch {
    return false;
  }
}

/** Stops exactly this process: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProcess(p: ComponentProcess, graceMs = 10_000): Promise<void> {
  if (!(await isRunning(p))) return;
  signal(p.pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!(await isRunning(p))) return;
    await sleep(50);
  }
  signal(p.pid, "SIGKILL");
  while (await isRunning(p)) await sleep(50);
}

/** Kills without grace, as a crash would. */
export async function killProcess(p: ComponentProcess): Promise<void> {
  if (!(await isRunning(p))) return;
  signal(p.pid, "SIGKILL");
  while (await isRunning(p)) await sleep(20);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
  }
}

export async function logTail(logFile: string, lines = 40): Promise<string> {
  try {
    const text = await readFile(logFile, "utf8");
    return text.trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
