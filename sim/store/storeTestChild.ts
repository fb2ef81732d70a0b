/**
 * storeTestChild.ts — a second popsim process for store.test.ts (`node --import tsx storeTestChild.ts <mode> <db>`).
 *
 * Why: DuckDB's file lock and crash recovery are per process, so the lock message and "a run killed inside
 * finishRun leaves no rows" can only be tested from a real second process.
 *   die-in-finish <db>    begin run "killed-run", start finishRun with 5,000 timeseries rows, print
 *                         "in-transaction <metrics> <timeseries>" from inside the open transaction, then wait to
 *                         be killed (SIGKILL: no cleanup runs).
 */

import { openStore } from "./store.ts";

const [mode, db] = process.argv.slice(2);
if (db === undefined) throw new Error("usage: storeTestChild.ts die-in-finish <db>");
const keepAlive = setInterval(() => {}, 1 << 30);

if (mode === "die-in-finish") {
  const store = await openStore(db, {
    faultHooks: {
      beforeCommit: async ({ countRows }) => {
        process.stdout.write(`in-transaction ${await countRows("metrics")} ${await countRows("timeseries")}\n`);
        await new Promise<never>(() => {}); // wait here, inside the transaction, for SIGKILL
      },
    },
  });
  await store.beginRun({ runId: "killed-run", scenario: "s", params: {}, seed: 1, codeVersion: "v", codeDirty: false });
  const n = 5000;
  await store.finishRun(
    "killed-run",
    { status: "completed", reason: "done", traceHash: "00", simTimeUs: n, events: n, wallTimeS: 0 },
    [{ name: "m", value: 1 }],
    { tUs: Array.from({ length: n }, (_, i) => i), name: new Array<string>(n).fill("x"), value: new Float64Array(n) },
  );
} else {
  clearInterval(keepAlive);
  throw new Error(`unknown mode ${mode}`);
}
