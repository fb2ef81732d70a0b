/**
 * sim/sweep/poolEntry.mjs — the file each local-pool (tinypool) worker thread loads.
 *
 * Why a .mjs file: worker threads must import the TypeScript sources, and on Node 20 a thread does not inherit
 * the tsx loader registered by the main thread, nor honour `--import tsx` in its `execArgv` (checked: the thread
 * fails with ERR_UNKNOWN_FILE_EXTENSION). So the thread registers tsx itself, then imports job.ts, whose
 * `runJob` is the task function. This works the same under `popsim` (bin/popsim.js), tsx and vitest.
 */
import { register } from "tsx/esm/api";

register();
const { runJob } = await import("./job.ts");

export default runJob;
