/**
 * The chain section's cross-field rules (scenarios/load.ts `crossCheck`), checked only when the chain is enabled:
 * enough delegate nodes for the active seats, an adversary no larger than the active set, and an adversary region
 * that is "" or one of the scenario's regions. Each problem names its path, like the loader's other messages.
 * Also: every chain scenario file loads, and the default scenario runs the chain with the EVM.
 */
import { describe, expect, it } from "vitest";
import { listScenarios, loadScenario, scenarioFrom, ScenarioError } from "../scenarios/load.ts";

function problemsOf(partial: object): { path: string; expected: string }[] {
  try {
    scenarioFrom(partial);
  } catch (e) {
    if (e instanceof ScenarioError) return e.problems;
    throw e;
  }
  return [];
}

describe("chain cross-field validation", () => {
  it("population.delegates ≥ activeDelegates, offline + equivocators ≤ activeDelegates, a known adversary region", () => {
    const p = problemsOf({
      population: { delegates: 10 },
      models: { chain: { enabled: true, activeDelegates: 15, adversary: { offline: 9, equivocators: 8, region: "mars" } } },
    });
    expect(p.map((x) => x.path)).toEqual(["models.chain.activeDelegates", "models.chain.adversary", "models.chain.adversary.region"]);
    expect(p[0].expected).toMatch(/at most population\.delegates \(10\)/);
    expect(p[1].expected).toMatch(/offline \+ equivocators ≤ models\.chain\.activeDelegates \(15\)/);
    expect(p[2].expected).toMatch(/one of the scenario's regions \(us-east, eu-west/);
  });

  it("says nothing when the chain is disabled, and accepts a valid section", () => {
    expect(problemsOf({ population: { delegates: 3 }, models: { chain: { enabled: false, adversary: { region: "mars" } } } })).toEqual([]);
    expect(problemsOf({ population: { delegates: 21 }, models: { chain: { enabled: true, adversary: { offline: 7, equivocators: 14, region: "eu-west" } } } })).toEqual([]);
  });

  it("every chain-* scenario loads, and the default scenario runs the chain with the EVM", () => {
    const names = listScenarios().map((s) => s.name).filter((n) => n === "chain" || n.startsWith("chain-"));
    expect([...names].sort()).toEqual(["chain", "chain-cartel", "chain-equivocation", "chain-offline"]);
    for (const n of names) {
      const { chain } = loadScenario(n).scenario.models;
      expect(chain.enabled && chain.evm.enabled, n).toBe(true);
    }
    const { chain } = loadScenario("default").scenario.models;
    expect(chain.enabled && chain.evm.enabled).toBe(true);
  });
});
