/**
 * No hidden entropy: inside a run, time and randomness come only from the kernel. This test fails if code in sim/
 * or models/ reads the wall clock, ambient randomness or timers, or uses weak references (GC-dependent order),
 * except in files that are outside any run: benchmarks, tests, the CLI (progress display), the store (wall-time
 * metadata), sweeps (job scheduling) and the EVM host's setup. A line may also opt out with a trailing
 * `// popsim-allow-global: <why>` comment that says why it is outside a run.
 */
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { ROOT } from "./helpers/cli.ts";

const BANNED = /\b(Math\.random|Date\.now|performance\.now|new Date\(|setTimeout|setInterval|crypto\.randomUUID|randomBytes|randomUUID|WeakRef|FinalizationRegistry|WeakMap)\b/;
const EXEMPT_FILE = /\.(test|bench)\.ts$|\/cli\/|\/store\/|\/sweep\/|benchStats\.ts$/;

function* walk(dir: string): Generator<string> {
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (p.endsWith(".ts")) yield p;
  }
}

describe("no hidden time or randomness in sim/ and models/", () => {
  it("finds no banned global outside exempt files", () => {
    const hits: string[] = [];
    for (const top of ["sim", "models"]) {
      for (const f of walk(join(ROOT, top))) {
        const rel = relative(ROOT, f);
        if (EXEMPT_FILE.test("/" + rel)) continue;
        readFileSync(f, "utf8").split("\n").forEach((line, i) => {
          const code = line.replace(/\/\/.*$/, "").replace(/^\s*\*.*$/, "");
          if (BANNED.test(code) && !/popsim-allow-global:/.test(line)) hits.push(`${rel}:${i + 1}: ${line.trim()}`);
        });
      }
    }
    expect(hits, hits.join("\n")).toEqual([]);
  });

  it("the pattern catches what it should (the test can fail)", () => {
    for (const bad of ["const x = Math.random();", "let t = Date.now()", "setTimeout(f, 10)", "new WeakRef(o)"]) expect(BANNED.test(bad)).toBe(true);
    expect(BANNED.test("ctx.rng('x').float()")).toBe(false);
  });
});
