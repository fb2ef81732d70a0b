/**
 * notebooks/run.ts — execute the notebooks against a results database and keep the executed copies and HTML.
 *
 *   npm run notebooks -- [--db FILE.duckdb | --export DIR] [--out DIR] [--no-html] [NOTEBOOK.ipynb …]
 *
 * Purpose: one command that runs every notebook exactly as a researcher would (and as test/notebooks.test.ts does,
 * through `executeNotebook`), so the notebooks cannot rot unnoticed.
 *
 * Method
 * - The notebooks are Jupyter notebooks in TypeScript for Deno's Jupyter kernel (`deno jupyter`, from the `deno`
 *   npm package: the binary ships inside the package). Deno reads the project's TypeScript (models/, reports/)
 *   and node_modules directly, so the notebooks import the real formulas and DuckDB's Node API.
 * - Jupyter's `nbconvert --execute` (Debian `jupyter-nbconvert`) drives the kernel. Its kernel spec is written to
 *   a temporary JUPYTER_PATH entry pointing at this project's deno binary, so nothing is installed in the user's
 *   Jupyter and a kernel the user installed themselves is not used.
 * - Results are passed to the notebooks as POPSIM_DB / POPSIM_EXPORT (absolute paths); other POPSIM_* settings
 *   in the environment (POPSIM_METRIC, …) pass through. Without --db/--export the notebooks use their defaults.
 * - The kernel runs each notebook from its own folder (relative imports such as ../models/storage/theory.ts).
 * - Output: `<out>/<name>.ipynb` (executed, with outputs) and `<out>/<name>.html`; default out `notebooks/out/`.
 * Exit codes: 0 every notebook ran; 1 a cell failed (its error is printed); 2 bad input or a missing tool.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const NOTEBOOKS_DIR = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(NOTEBOOKS_DIR, "..");
/** Where executed notebooks go by default (ignored by git: the root .gitignore has `out/`). */
export const DEFAULT_OUT = join(NOTEBOOKS_DIR, "out");
/** Debian packages that provide `jupyter-nbconvert` and its notebook client. */
export const DEBIAN_PACKAGES = ["jupyter-nbconvert", "python3-nbclient"];

export interface Toolchain {
  /** The nbconvert command (argv prefix), when found. */
  nbconvert?: string[];
  /** The deno binary, when found. */
  deno?: string;
  /** What is missing, as sentences that say how to get it. */
  missing: string[];
}

function onPath(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir !== "" && existsSync(join(dir, cmd))) return join(dir, cmd);
  }
  return undefined;
}

/**
 * The deno binaries to try: POPSIM_DENO; the native binary the `deno` npm package ships (its `@deno/<platform>`
 * optional dependency, or the copy its launcher makes in node_modules/deno/), so that Jupyter starts and stops the
 * kernel itself rather than a Node launcher in front of it; then node_modules/.bin/deno; then `deno` on PATH.
 */
export function denoCandidates(): string[] {
  const exe = process.platform === "win32" ? "deno.exe" : "deno";
  const target = process.platform === "linux" ? `linux-${process.arch}-glibc` : `${process.platform}-${process.arch}`;
  const modules = join(ROOT, "node_modules");
  return [
    process.env.POPSIM_DENO ?? "",
    join(modules, "deno", exe),
    join(modules, "@deno", target, exe),
    join(modules, ".bin", "deno"),
    onPath("deno") ?? "",
  ].filter((c) => c !== "");
}

/** Finds nbconvert and deno (see denoCandidates). */
export function findToolchain(): Toolchain {
  const missing: string[] = [];
  let nbconvert: string[] | undefined;
  const direct = onPath("jupyter-nbconvert");
  if (direct) nbconvert = [direct];
  else if (onPath("jupyter")) nbconvert = [onPath("jupyter")!, "nbconvert"];
  if (nbconvert) {
    // nbconvert ≥ 6 executes through nbclient, so a working `--version` means both are there.
    const probe = spawnSync(nbconvert[0], [...nbconvert.slice(1), "--version"], { encoding: "utf8" });
    if (probe.status !== 0) nbconvert = undefined;
  }
  if (!nbconvert) missing.push(`Jupyter's nbconvert with nbclient (Debian: apt-get install --no-install-recommends ${DEBIAN_PACKAGES.join(" ")})`);
  const deno = denoCandidates().find((c) => existsSync(c));
  if (!deno) missing.push("deno (npm install: it is a devDependency of popsim)");
  return { nbconvert, deno, missing };
}

/** The notebooks of this folder, sorted. */
export function listNotebooks(): string[] {
  return readdirSync(NOTEBOOKS_DIR).filter((f) => f.endsWith(".ipynb")).sort().map((f) => join(NOTEBOOKS_DIR, f));
}

/** Writes a kernel spec named `deno` for this project's deno binary; returns the JUPYTER_PATH entry to prepend. */
export function writeKernelSpec(deno: string, dir: string): string {
  const specDir = join(dir, "kernels", "deno");
  mkdirSync(specDir, { recursive: true });
  writeFileSync(
    join(specDir, "kernel.json"),
    JSON.stringify({
      argv: [deno, "jupyter", "--kernel", "--conn", "{connection_file}"],
      display_name: "Deno (popsim)",
      language: "typescript",
      env: { DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1", NO_COLOR: "1" },
    }, null, 2),
  );
  return dir;
}

export interface ExecuteOptions {
  /** A DuckDB results file (sets POPSIM_DB). */
  db?: string;
  /** A Parquet export folder (sets POPSIM_EXPORT). */
  exportDir?: string;
  /** Where the executed notebook (and HTML) go. */
  outDir: string;
  /** Also write HTML. Default true. */
  html?: boolean;
  /** Extra environment for the kernel (POPSIM_METRIC, …). */
  env?: Record<string, string>;
  /** Per-cell timeout, seconds. Default 300. */
  cellTimeoutS?: number;
}

export interface Executed {
  notebook: string;
  /** The executed notebook, with outputs. */
  executed: string;
  html?: string;
  wallTimeS: number;
}

export class NotebookError extends Error {
  constructor(message: string, readonly exitCode: 1 | 2, readonly output = "") {
    super(message);
  }
}

function runCommand(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { env, cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code, output }));
  });
}

/** Executes one notebook with nbconvert and the Deno kernel; throws NotebookError when a cell fails. */
export async function executeNotebook(notebook: string, options: ExecuteOptions): Promise<Executed> {
  const tools = findToolchain();
  if (!tools.nbconvert || !tools.deno) throw new NotebookError(`notebooks: missing ${tools.missing.join("; ")}`, 2);
  const source = resolve(notebook);
  if (!existsSync(source)) throw new NotebookError(`notebooks: no notebook ${source}`, 2);
  const outDir = resolve(options.outDir);
  mkdirSync(outDir, { recursive: true });
  const name = basename(source, ".ipynb");
  const jupyterDir = mkdtempSync(join(tmpdir(), "popsim-jupyter-"));
  const started = performance.now();
  try {
    writeKernelSpec(tools.deno, jupyterDir);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...options.env,
      JUPYTER_PATH: [jupyterDir, process.env.JUPYTER_PATH].filter(Boolean).join(delimiter),
      PYDEVD_DISABLE_FILE_VALIDATION: "1",
    };
    delete env.POPSIM_DB;
    delete env.POPSIM_EXPORT;
    if (options.db !== undefined) env.POPSIM_DB = resolve(options.db);
    if (options.exportDir !== undefined) env.POPSIM_EXPORT = resolve(options.exportDir);
    const [cmd, ...prefix] = tools.nbconvert;
    const run = await runCommand(cmd, [
      ...prefix, "--to", "notebook", "--execute",
      "--ExecutePreprocessor.kernel_name=deno",
      `--ExecutePreprocessor.timeout=${options.cellTimeoutS ?? 300}`,
      "--output-dir", outDir, "--output", name, source,
    ], env, dirname(source));
    const executed = join(outDir, `${name}.ipynb`);
    if (run.code !== 0 || !existsSync(executed)) {
      throw new NotebookError(`notebooks: ${basename(source)} failed (nbconvert exit ${run.code})\n${tail(run.output, 4000)}`, 1, run.output);
    }
    let html: string | undefined;
    if (options.html ?? true) {
      const conv = await runCommand(cmd, [...prefix, "--to", "html", "--output-dir", outDir, "--output", name, executed], env, outDir);
      html = join(outDir, `${name}.html`);
      if (conv.code !== 0 || !existsSync(html)) throw new NotebookError(`notebooks: HTML of ${basename(source)} failed\n${tail(conv.output, 4000)}`, 1, conv.output);
    }
    return { notebook: source, executed, html, wallTimeS: (performance.now() - started) / 1000 };
  } finally {
    rmSync(jupyterDir, { recursive: true, force: true });
  }
}

function tail(s: string, n: number): string {
  return s.length <= n ? s : `…${s.slice(-n)}`;
}

const USAGE = `usage: npm run notebooks -- [--db FILE.duckdb | --export DIR] [--out DIR] [--no-html] [NOTEBOOK.ipynb …]

Executes the notebooks (default: every notebooks/*.ipynb) with Jupyter's nbconvert and the Deno kernel, and writes
the executed notebooks and their HTML to --out (default notebooks/out/). Without --db/--export the notebooks read
./popsim.duckdb or ./popsim-export/ of the project root. Other settings come from POPSIM_METRIC, POPSIM_PARAM,
POPSIM_SWEEP (sweep.ipynb); see notebooks/README.md.`;

async function main(argv: readonly string[]): Promise<number> {
  const options: ExecuteOptions = { outDir: DEFAULT_OUT };
  const notebooks: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new NotebookError(`notebooks: ${arg} needs a value\n${USAGE}`, 2);
      return v;
    };
    if (arg === "--db") options.db = value();
    else if (arg === "--export") options.exportDir = value();
    else if (arg === "--out") options.outDir = value();
    else if (arg === "--no-html") options.html = false;
    else if (arg === "--help" || arg === "-h") {
      console.log(USAGE);
      return 0;
    } else if (arg.startsWith("-")) throw new NotebookError(`notebooks: unknown option ${arg}\n${USAGE}`, 2);
    else notebooks.push(resolve(arg));
  }
  if (options.db !== undefined && options.exportDir !== undefined) throw new NotebookError("notebooks: give --db or --export, not both", 2);
  if (options.db !== undefined && !existsSync(options.db)) throw new NotebookError(`notebooks: no results database ${resolve(options.db)}`, 2);
  if (options.exportDir !== undefined && !existsSync(join(options.exportDir, "runs.parquet"))) {
    throw new NotebookError(`notebooks: ${resolve(options.exportDir)} holds no runs.parquet (make it with: npx popsim export --format parquet --out DIR)`, 2);
  }
  const list = notebooks.length > 0 ? notebooks : listNotebooks();
  for (const nb of list) {
    const r = await executeNotebook(nb, options);
    console.log(`${basename(nb)}: ran in ${r.wallTimeS.toFixed(1)} s → ${r.executed}${r.html ? `, ${r.html}` : ""}`);
  }
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      if (e instanceof NotebookError) {
        console.error(e.message);
        process.exit(e.exitCode);
      }
      console.error(e);
      process.exit(1);
    },
  );
}
