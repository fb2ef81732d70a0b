/**
 * Scenario sections of the models: one way to lay a partial section over its defaults and decode it strictly.
 *
 * Purpose: every model folder has a `params.ts` with an Effect Schema, its defaults and a `resolve…Params` that
 * accepts a partial section (tests, `scenario.models.<name>` before the scenario loader is involved). They all need
 * the same two steps, so they live here once:
 * - `mergeSection`: objects merge key by key; arrays and scalars replace; a distribution (`{ dist: … }`, a tagged
 *   union) replaces whole, because merging `{dist:"constant",value}` over a lognormal would leave its `mean` and `cv`
 *   behind as excess keys (the scenario loader's deepMerge follows the same rule);
 * - `decodeSection`: decode strictly (unknown keys are errors, every problem reported) and throw an Error naming the
 *   section (`models.<name>: …`).
 * Also the distribution-in-seconds schema several sections use (mirrors scenarios/schema.ts DistSpec, which models
 * do not import).
 */
import { Cause, Exit, Schema } from "effect";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function mergeSection(base: unknown, over: unknown): unknown {
  if (isObject(over) && "dist" in over) return over;
  if (isObject(base) && isObject(over)) {
    const out: Record<string, unknown> = { ...base };
    for (const k of Object.keys(over)) out[k] = k in base ? mergeSection(base[k], over[k]) : over[k];
    return out;
  }
  return over === undefined ? base : over;
}

/** `section` (partial, possibly empty) over `defaults`, decoded strictly with `schema`; throws naming `models.<name>`. */
export function decodeSection<S extends Schema.Top>(schema: S, name: string, defaults: S["Type"], section: unknown): S["Type"] {
  const doc = mergeSection(defaults, section);
  const exit = Schema.decodeUnknownExit(schema as never, { onExcessProperty: "error", errors: "all" })(doc);
  if (Exit.isFailure(exit)) throw new Error(`models.${name}: ${String(Cause.squash(exit.cause))}`);
  return exit.value as S["Type"];
}

const NonNegative = Schema.Finite.check(Schema.isGreaterThanOrEqualTo(0));
const Positive = Schema.Finite.check(Schema.isGreaterThan(0));

/** A distribution of durations in seconds (sim/kernel/distributions.ts `DistSpec`). */
export const SecondsDist = Schema.Union([
  Schema.Struct({ dist: Schema.Literal("constant"), value: NonNegative }),
  Schema.Struct({ dist: Schema.Literal("uniform"), min: NonNegative, max: NonNegative }),
  Schema.Struct({ dist: Schema.Literal("exponential"), mean: Positive }),
  Schema.Struct({ dist: Schema.Literal("lognormal"), mean: Positive, cv: Positive }),
  Schema.Struct({ dist: Schema.Literal("weibull"), shape: Positive, scale: Positive }),
  Schema.Struct({ dist: Schema.Literal("pareto"), min: Positive, alpha: Positive }),
]);
