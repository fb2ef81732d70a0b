/**
 * Bad input gets a clear error and loses nothing: every malformed scenario file, `--set` and flag below must make
 * `popsim run` exit with code 2, name the offending path (and the value given) on stderr, and leave the results
 * database untouched — here, never even created.
 */
import { describe, expect, it, beforeAll } from "vitest";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { limit, popsim } from "./helpers/cli.ts";
import { loadScenario, ScenarioError } from "../scenarios/load.ts";

const dir = mkdtempSync(join(tmpdir(), "popsim-bad-"));
const file = (name: string, content: unknown) => {
  const p = join(dir, `${name}.json`);
  writeFileSync(p, typeof content === "string" ? content : JSON.stringify(content));
  return p;
};

interface Case {
  name: string;
  args: string[];
  /** Text that must appear on stderr: the path, and the value where useful. */
  expect: string[];
}

const cases: Case[] = [
  { name: "unknown top-level key in a file", args: [file("typo", { populaton: { viewers: 5 } })], expect: ["populaton", "unknown key"] },
  { name: "unknown nested key in a file", args: [file("nested", { network: { bandwidth: { viewer: { upMbs: 5 } } } })], expect: ["network.bandwidth.viewer.upMbs"] },
  { name: "wrong type in a file", args: [file("type", { population: { viewers: "many" } })], expect: ["population.viewers", '"many"'] },
  { name: "NaN through --set", args: ["smoke", "--set", "network.loss=NaN"], expect: ["network.loss", "NaN"] },
  { name: "negative count", args: ["smoke", "--set", "population.masternodes=-1"], expect: ["population.masternodes", "-1"] },
  { name: "fractional count", args: ["smoke", "--set", "population.viewers=1.5"], expect: ["population.viewers", "1.5", "integer"] },
  { name: "probability above 1", args: ["smoke", "--set", "network.loss=1.5"], expect: ["network.loss", "1.5"] },
  { name: "probability below 0", args: ["smoke", "--set", "churn.viewer.departure=-0.1"], expect: ["churn.viewer.departure", "-0.1"] },
  { name: "duration beyond the limit", args: ["smoke", "--set", "duration=20y"], expect: ["duration", "20y", "10 years"] },
  { name: "malformed duration", args: [file("dur", { duration: "soon" })], expect: ["duration", '"soon"'] },
  { name: "empty population", args: ["smoke", "--set", 'population={"viewers":0,"creators":0,"masternodes":0,"delegates":0}'], expect: ["population", "empty"] },
  { name: "--set without '='", args: ["smoke", "--set", "population.viewers"], expect: ["--set", "path=value"] },
  { name: "--set of an unknown key", args: ["smoke", "--set", "population.watchers=5"], expect: ["population.watchers", "known key"] },
  { name: "fault after the end of the run", args: ["smoke", "--set", 'faults.timeline=[{"at":"2h","action":"crash","role":"masternode","fraction":0.1}]'], expect: ["faults.timeline.0.at", '"2h"'] },
  { name: "outage of a region not in the scenario", args: ["smoke", "--set", 'faults.timeline=[{"at":"10min","action":"region-outage","region":"mars"}]'], expect: ["faults.timeline.0.region", '"mars"'] },
  { name: "unknown distribution", args: ["smoke", "--set", 'churn.viewer.online={"dist":"gamma","mean":5}'], expect: ["churn.viewer.online"] },
  { name: "unknown region name", args: ["smoke", "--set", 'regions=[{"name":"atlantis","weight":1}]'], expect: ["regions.0.name", '"atlantis"'] },
  { name: "too many time-series samples", args: ["smoke", "--set", "metrics.interval=1ms"], expect: ["metrics.interval", "100,000 samples"] },
  { name: "invalid JSON file", args: [file("broken", "{ not json")], expect: ["broken.json", "valid JSON"] },
  { name: "unknown scenario name", args: ["no-such-scenario"], expect: ["no-such-scenario", "built-in scenario"] },
  { name: "negative seed", args: ["smoke", "--seed", "-3"], expect: ["--seed", "-3"] },
];

describe("bad input", () => {
  it("the loader rejects every case in-process with a ScenarioError naming the path", () => {
    let rejected = 0;
    for (const c of cases) {
      if (c.args.includes("--seed") || c.name.includes("JSON file") || c.name.includes("scenario name")) continue;
      const [scenario, ...rest] = c.args;
      const sets = rest.filter((_, i) => rest[i - 1] === "--set");
      expect(() => loadScenario(scenario, sets), c.name).toThrow(ScenarioError);
      rejected++;
    }
    expect(rejected).toBeGreaterThanOrEqual(15);
  });

  const results = new Map<string, Awaited<ReturnType<typeof popsim>>>();
  beforeAll(async () => {
    const out = await limit(3, cases.map((c) => () => popsim(["run", ...c.args, "--db", join(dir, `${c.name.replace(/\W+/g, "-")}.duckdb`)])));
    cases.forEach((c, i) => results.set(c.name, out[i]));
  }, 300_000);

  for (const c of cases) {
    it(`CLI: ${c.name} → exit 2, path named, nothing written`, () => {
      const r = results.get(c.name)!;
      expect(r.code, r.stderr).toBe(2);
      for (const e of c.expect) expect(r.stderr).toContain(e);
      expect(r.stdout).toBe("");
      expect(existsSync(join(dir, `${c.name.replace(/\W+/g, "-")}.duckdb`))).toBe(false);
    });
  }
});
