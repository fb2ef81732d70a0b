/**
 * The one place where a command's failure becomes stderr text and an exit code: expected failures (CliFailure)
 * print their message and set their code; anything else is an unexpected error (exit 1) with its stack.
 * Shared by every command module (sim/cli/main.ts, sim/sweep/commands.ts).
 */
import { Effect } from "effect";
import { CliFailure, EXIT } from "./commands.ts";

export const guard = <A>(f: () => Promise<A>) =>
  Effect.tryPromise({ try: f, catch: (e) => e }).pipe(
    Effect.catch((e: unknown) =>
      Effect.sync(() => {
        if (e instanceof CliFailure) {
          process.stderr.write(e.message + "\n");
          process.exitCode = e.exitCode;
        } else {
          process.stderr.write(`popsim: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
          process.exitCode = EXIT.failed;
        }
        return undefined;
      }),
    ),
  );
