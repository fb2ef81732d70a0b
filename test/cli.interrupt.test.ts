/**
 * Interrupted runs lose nothing: SIGINT to a run in a child process records it as `interrupted` (exit 130), a
 * SIGKILL leaves a row the next open marks `abandoned`, and in both cases earlier runs keep every row and the
 * database still opens.
 */
import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, ROOT, popsim } from "./helpers/cli.ts";
import { openStore } from "../sim/store/store.ts";

const dir = mkdtempSync(join(tmpdir(), "popsim-int-"));
const db = join(dir, "results.duckdb");

/** Start a long run; once it says it started, wait a little and send `signal`. */
function runAndSignal(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "run", "default", "--set", "duration=30d", "--db", db], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let sent = false;
    child.stderr.on("data", (d) => {
      stderr += d;
      if (!sent && stderr.includes("popsim: run ")) {
        sent = true;
        // Wall-clock wait in a test is fine: it only decides *when* the signal lands, and any moment is valid.
        setTimeout(() => child.kill(signal), 1500);
      }
    });
    child.on("error", reject);
    child.on("close", (code, sig) => resolve({ code, signal: sig, stderr }));
  });
}

describe("interrupting a run", () => {
  it("SIGINT → interrupted, SIGKILL → abandoned; earlier runs intact, database openable", async () => {
    const first = await popsim(["run", "smoke", "--json", "--db", db]);
    expect(first.code, first.stderr).toBe(0);
    const firstId = JSON.parse(first.stdout).runId as string;

    const before = await openStore(db, { readOnly: true });
    const metricsBefore = await before.getMetrics(firstId);
    const seriesBefore = await before.getTimeseries(firstId);
    await before.close();

    const int = await runAndSignal("SIGINT");
    expect(int.code, int.stderr).toBe(130);
    expect(int.stderr).toMatch(/interrupted/);
    expect(int.stderr).toMatch(/reproduce: npx popsim run default/);

    const killed = await runAndSignal("SIGKILL");
    expect(killed.signal).toBe("SIGKILL");

    const store = await openStore(db);
    const runs = await store.listRuns();
    const byStatus = Object.fromEntries(runs.map((r) => [r.status, r]));
    expect(runs).toHaveLength(3);
    expect(byStatus.completed.runId).toBe(firstId);
    expect(byStatus.interrupted).toBeDefined();
    expect(byStatus.abandoned).toBeDefined();
    expect(store.abandonedAtOpen).toEqual([byStatus.abandoned.runId]);
    expect(await store.getMetrics(firstId)).toEqual(metricsBefore);
    const seriesAfter = await store.getTimeseries(firstId);
    expect(Array.from(seriesAfter.value)).toEqual(Array.from(seriesBefore.value));
    expect(await store.getMetrics(byStatus.abandoned.runId)).toEqual([]);
    await store.close();
  });
});
