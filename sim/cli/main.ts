/**
 * The `popsim` command line (Effect CLI). Each subcommand's work is a plain function in commands.ts; this file
 * only declares flags, help texts and exit codes. Effect stays at this edge (STYLE.md principle 10).
 */
import { Effect, Option } from "effect";
import { Argument, Command, Flag } from "effect/cli";
import { NodeServices } from "@effect/platform-node";
import {
  CliFailure, DEFAULT_DB, DEFAULT_EXPORT_DIR, EXIT, describeExport, describeReport, describeRun, exportCommand, reportCommand, runCommand,
  scenariosCommand, showCommand, load,
} from "./commands.ts";
import { packageVersion } from "./codeVersion.ts";
import { guard } from "./guard.ts";
import { sweep, worker, compare } from "../sweep/commands.ts";

const dbFlag = Flag.String("db").pipe(Flag.withDefault(DEFAULT_DB), Flag.withDescription(`results database file (DuckDB), default ./${DEFAULT_DB}`));
const jsonFlag = Flag.Boolean("json").pipe(Flag.withDefault(false), Flag.withDescription("print exactly one JSON object on stdout; human output goes to stderr"));
const seedFlag = Flag.Int("seed").pipe(Flag.optional, Flag.withDescription("root seed (overrides the scenario's seed)"));
const setFlag = Flag.String("set").pipe(Flag.atLeast(0), Flag.withDescription("override a scenario value: --set path=value (repeatable), e.g. --set population.viewers=500"));
const eventsFlag = Flag.Boolean("events").pipe(Flag.withDefault(false), Flag.withDescription("also store one row per processed event in the `events` table (capped at 2 M rows; for small runs)"));
const checkFlag = Flag.Boolean("check").pipe(Flag.withDefault(false), Flag.withDescription("run every invariant checker after every event (slow)"));


const run = Command.make(
  "run",
  { scenario: Argument.String("scenario").pipe(Argument.withDescription("built-in scenario name (see `popsim scenarios`) or path to a JSON file")), seed: seedFlag, set: setFlag, db: dbFlag, json: jsonFlag, check: checkFlag, events: eventsFlag },
  (a) =>
    guard(async () => {
      const s = await runCommand({ scenario: a.scenario, seed: Option.getOrUndefined(a.seed), sets: a.set, db: a.db, json: a.json, check: a.check, events: a.events });
      if (a.json) process.stdout.write(JSON.stringify(s) + "\n");
      else process.stderr.write(describeRun(s) + "\n");
    }),
).pipe(Command.withDescription("Run one scenario with one seed and store its results (runs, metrics, timeseries) in the database."));

const scenarios = Command.make(
  "scenarios",
  { name: Argument.String("name").pipe(Argument.optional, Argument.withDescription("print this scenario fully resolved (defaults and --set applied) as JSON")), set: setFlag },
  (a) =>
    guard(async () => {
      if (Option.isSome(a.name)) process.stdout.write(JSON.stringify(load(a.name.value, a.set, undefined).scenario, null, 2) + "\n");
      else process.stdout.write(scenariosCommand() + "\n");
    }),
).pipe(Command.withDescription("List the built-in scenarios, one line each; with a name, print it resolved."));

const show = Command.make(
  "show",
  { runId: Argument.String("run-id").pipe(Argument.withDescription("a run id or a unique prefix of one")), db: dbFlag, json: jsonFlag },
  (a) => guard(async () => { process.stdout.write((await showCommand(a.runId, a.db, a.json)) + "\n"); }),
).pipe(Command.withDescription("Show one stored run: identity, status, trace hash and every metric."));

const report = Command.make(
  "report",
  {
    selector: Argument.String("run").pipe(Argument.withDescription("a run id, a run-id prefix (all runs starting with it) or a sweep id")),
    db: dbFlag,
    out: Flag.String("out").pipe(Flag.optional, Flag.withDescription("output folder (default ./reports-out/<id>/)")),
    json: jsonFlag,
  },
  (a) =>
    guard(async () => {
      const r = await reportCommand({ selector: a.selector, db: a.db, out: Option.getOrUndefined(a.out) });
      if (a.json) process.stdout.write(JSON.stringify(r) + "\n");
      else process.stderr.write(describeReport(r) + "\n");
    }),
).pipe(Command.withDescription("Write a self-contained HTML report (identity, metrics, charts; mean and 95 % CI across several runs) with its charts as SVG and PNG."));

const exportTables = Command.make(
  "export",
  {
    format: Flag.String("format").pipe(Flag.withDescription("parquet or csv")),
    db: dbFlag,
    out: Flag.String("out").pipe(Flag.optional, Flag.withDescription(`output folder (default ./${DEFAULT_EXPORT_DIR}/)`)),
    json: jsonFlag,
  },
  (a) =>
    guard(async () => {
      const r = await exportCommand({ format: a.format, db: a.db, out: Option.getOrUndefined(a.out) });
      if (a.json) process.stdout.write(JSON.stringify(r) + "\n");
      else process.stderr.write(describeExport(r) + "\n");
    }),
).pipe(Command.withDescription("Export every results table (runs, metrics, timeseries, events) to Parquet or CSV files, one per table."));

const start = Command.make("start", { db: dbFlag }, (a) =>
  guard(async () => {
    const s = await runCommand({ scenario: "default", sets: [], db: a.db, json: false, check: false });
    process.stderr.write(describeRun(s) + "\n");
    process.stderr.write(`\npopsim: the default scenario's results are in ${s.db} (run ${s.runId}).\n`);
    let html: string;
    try {
      html = (await reportCommand({ selector: s.runId, db: s.db })).html;
    } catch (e) {
      const why = e instanceof CliFailure ? e.message : ((e as Error)?.stack ?? String(e));
      throw new CliFailure(`popsim: the run is stored, but writing its report failed: ${why}\nretry: npx popsim report ${s.runId} --db ${s.db}`, EXIT.failed);
    }
    process.stderr.write(`popsim: its report: ${html}\n`);
  }),
).pipe(Command.withDescription("Run the default scenario end to end, write its report and print where both are (what `npm start` does)."));

const popsim = Command.make("popsim").pipe(
  Command.withDescription("popsim — a deterministic discrete-event simulator and economic testbed for the POP Network."),
  Command.withSubcommands([run, scenarios, show, report, exportTables, start, sweep, worker, compare]),
);

const program = Command.run(popsim, { version: packageVersion() });

// Not NodeRuntime.runMain: it turns SIGINT into a fiber interruption and exits before a run can record itself
// as interrupted. `popsim run` installs its own SIGINT handler for the length of the run instead.
await Effect.runPromise(
  program.pipe(
    Effect.provide(NodeServices.layer),
    // Parse errors were already shown by the CLI (help + error); they are bad input.
    Effect.catch(() => Effect.sync(() => { if (!process.exitCode) process.exitCode = EXIT.badInput; })),
  ),
);
