import { scenarioFrom } from "../../scenarios/load.ts";
import { runScenario } from "../../sim/runner/run.ts";
import { chainParams } from "../chain/params.ts";
import { makeChainPlugin } from "../chain/plugin.ts";
const evm = process.argv[2] === "evm";
const scenario = scenarioFrom({ seed: 1, duration: "1d", metrics: { interval: "1h" }, population: { viewers: 10000, creators: 1000, masternodes: 500, delegates: 21 }, traffic: { enabled: false },
  churn: { viewer: { enabled: true, online: { dist: "exponential", mean: 1800 }, offline: { dist: "exponential", mean: 3600 }, departure: 0, arrivalsPerDay: 0, initialOnline: 0.33 } } });
const t0 = performance.now(); const c0 = process.cpuUsage();
const r = await runScenario({ scenario, plugins: [makeChainPlugin({ params: chainParams({ voting: { revotesPerDay: 0 }, evm: { enabled: evm, topUpsPerDay: 0, registrationsPerDay: 0 } }) })] });
const m = new Map(r.metrics.map((x) => [x.name, x.value]));
console.log("chain only, evm", evm, ((performance.now() - t0) / 1000).toFixed(1), "s wall,", ((process.cpuUsage(c0).user + process.cpuUsage(c0).system) / 1e6).toFixed(1), "s cpu; evm calls", m.get("chain.evm_calls"));
