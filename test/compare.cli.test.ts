/**
 * `popsim compare` end to end (the real CLI in child processes), on a 10-minute smoke baseline that declares two
 * guardrails:
 * - a proposal identical to the baseline: empty parameter diff, every difference exactly 0, nothing moved, all
 *   guardrails pass, and the runs are shared (one run per seed);
 * - a real change (`network.loss` 0.001 → 0.05): the loss metrics move with 95 % intervals excluding 0, the
 *   success-ratio guardrail fails on the proposal (and passes on the baseline), the baseline runs are reused;
 * - a proposal given as its own scenario file, with its own guardrail;
 * - the JSON shape, the HTML page (self-contained, written atomically beside compare.json), bad input → exit 2.
 */
import { describe, expect, it, beforeAll } from "vitest";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { popsim, limit, type CliResult } from "./helpers/cli.ts";
import type { CompareSummary } from "../sim/sweep/commands.ts";

const dir = mkdtempSync(join(tmpdir(), "popsim-compare-"));
const smokeShort = { duration: "10min", faults: { timeline: [] } };
const guardrails = [
  { metric: "traffic.success_ratio", op: ">=", value: 0.95, description: "at least 95 % of fetches succeed" },
  { metric: "traffic.fetch_latency_s.p99", op: "<=", value: 2, description: "p99 fetch under 2 s" },
];
const smoke = JSON.parse(readFileSync(join(import.meta.dirname, "..", "scenarios", "smoke.json"), "utf8")) as Record<string, unknown>;
const baseFile = join(dir, "base.json");
writeFileSync(baseFile, JSON.stringify({ ...smoke, name: "base", ...smokeShort, guardrails }));
const propFile = join(dir, "prop.json");
writeFileSync(propFile, JSON.stringify({
  ...smoke, name: "prop", ...smokeShort, network: { loss: 0.01 },
  guardrails: [...guardrails, { metric: "net.messages_lost", op: "<", value: 1e9, description: "sanity bound" }],
}));
const db = join(dir, "c.duckdb"), db2 = join(dir, "c2.duckdb");
const SEEDS = ["--seeds", "1..5"];

let same: CliResult, changed: CliResult, files: CliResult, bad: CliResult;
const parse = (r: CliResult) => {
  expect(r.stdout.trim().split("\n"), r.stderr).toHaveLength(1);
  return JSON.parse(r.stdout) as CompareSummary;
};

beforeAll(async () => {
  [same, files] = await limit(2, [
    () => popsim(["compare", baseFile, ...SEEDS, "--db", db, "--json", "--out", join(dir, "same")]),
    () => popsim(["compare", baseFile, propFile, ...SEEDS, "--db", db2, "--json", "--out", join(dir, "files"), "--workers", "1"]),
  ]);
  [changed, bad] = await limit(2, [
    () => popsim(["compare", baseFile, "--set", "network.loss=0.05", ...SEEDS, "--db", db, "--json", "--out", join(dir, "changed")]),
    () => popsim(["compare", baseFile, "--set", "network.loss=7", ...SEEDS, "--db", join(dir, "bad.duckdb"), "--out", join(dir, "bad")]),
  ]);
}, 240_000);

describe("popsim compare", () => {
  it("an identical proposal shows zero differences, nothing moved, all guardrails pass", () => {
    expect(same.code, same.stderr).toBe(0);
    const s = parse(same);
    expect(s.identical).toBe(true);
    expect(s.paramDiff).toEqual([]);
    expect(s.pairs).toBe(5);
    expect(s.ran).toBe(5); // one run per seed serves both sides
    expect(s.moved).toEqual([]);
    expect(s.metrics.length).toBeGreaterThan(20);
    for (const m of s.metrics) {
      expect(m.n, m.name).toBe(5);
      expect(m.diffMean, m.name).toBe(0);
      expect(m.diffSd, m.name).toBe(0);
      expect([m.ciLow, m.ciHigh], m.name).toEqual([0, 0]);
      expect(m.effectSize, m.name).toBe(0);
    }
    expect(s.guardrails).toHaveLength(2);
    expect(s.guardrails.every((g) => g.status === "pass" && g.baseline.status === "pass")).toBe(true);
    expect(s.guardrailsPass).toBe(true);
    expect(s.baseline.runs.map((r) => r.traceHash)).toEqual(s.proposal.runs.map((r) => r.traceHash));
  });

  it("a real change moves the relevant metrics with intervals excluding 0 and fails a guardrail", () => {
    expect(changed.code, changed.stderr).toBe(0);
    const s = parse(changed);
    expect(s.identical).toBe(false);
    expect(s.paramDiff).toEqual([{ path: "network.loss", baseline: 0.001, proposal: 0.05 }]);
    expect(s.skipped).toBe(5); // the baseline runs from the first comparison are reused
    expect(s.ran).toBe(5);
    const m = new Map(s.metrics.map((x) => [x.name, x]));
    const lost = m.get("net.messages_lost")!;
    expect(lost.moved).toBe(true);
    expect(lost.ciLow!).toBeGreaterThan(0);
    expect(lost.effectSize!).toBeGreaterThan(1);
    const ok = m.get("traffic.success_ratio")!;
    expect(ok.moved).toBe(true);
    expect(ok.ciHigh!).toBeLessThan(0);
    expect(s.moved).toContain("net.messages_lost");
    const g = s.guardrails.find((x) => x.metric === "traffic.success_ratio")!;
    expect(g.status).toBe("fail");
    expect(g.proposal.boundUsed).toBe("ciLow");
    expect(g.proposal.evidenceValue!).toBeLessThan(0.95);
    expect(g.baseline.status).toBe("pass");
    expect(s.guardrailsPass).toBe(false);
    expect(s.reproduce.compare).toBe(`npx popsim compare ${baseFile} --set network.loss=0.05 --seeds 1..5`);
    expect(s.reproduce.proposalRuns[0]).toBe(`npx popsim run ${baseFile} --seed 1 --set network.loss=0.05`);
  });

  it("a proposal scenario file: its guardrails count, declared-in is recorded", () => {
    expect(files.code, files.stderr).toBe(0);
    const s = parse(files);
    expect(s.proposal.scenario).toBe("prop");
    // A guardrail the proposal adds (or loosens) is part of what it changes: reviewers must see it.
    expect(s.paramDiff.map((d) => d.path)).toEqual(["guardrails.2.description", "guardrails.2.metric", "guardrails.2.op", "guardrails.2.value", "name", "network.loss"]);
    expect(s.guardrails.map((g) => [g.metric, g.declaredIn])).toEqual([
      ["traffic.success_ratio", ["proposal", "baseline"]],
      ["traffic.fetch_latency_s.p99", ["proposal", "baseline"]],
      ["net.messages_lost", ["proposal"]],
    ]);
  });

  it("JSON shape and the HTML page (self-contained, atomic, beside compare.json)", () => {
    const s = parse(changed);
    for (const k of ["compareId", "codeVersion", "codeDirty", "seeds", "pairs", "baseline", "proposal", "identical", "paramDiff", "metrics", "moved",
      "guardrails", "guardrailsPass", "method", "reproduce", "db", "html", "ran", "skipped", "failed", "wallTimeS"]) expect(s, k).toHaveProperty(k);
    expect(s.compareId).toMatch(/^compare-[0-9a-f]{10}$/);
    expect(Object.keys(s.metrics[0]).sort()).toEqual(expect.arrayContaining(["name", "n", "baselineMean", "proposalMean", "diffMean", "diffSd", "ciLow", "ciHigh", "effectSize", "moved"]));
    expect(s.html).toBe(join(dir, "changed", "index.html"));
    const html = readFileSync(s.html, "utf8");
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain("Content-Security-Policy");
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    expect(html).toContain("network.loss");
    expect(html).toContain("fail");
    expect(html).toContain("<svg");
    expect(JSON.parse(readFileSync(join(dir, "changed", "compare.json"), "utf8"))).toEqual(s);
    expect(readdirSync(join(dir, "changed")).sort()).toEqual(["compare.json", "index.html"]); // no temporary files left
  });

  it("bad input exits 2 and writes nothing", () => {
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr).toContain("proposal");
    expect(bad.stderr).toContain("network.loss: got 7");
    expect(existsSync(join(dir, "bad.duckdb"))).toBe(false);
    expect(existsSync(join(dir, "bad"))).toBe(false);
  });
});
