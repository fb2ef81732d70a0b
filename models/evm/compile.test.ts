/**
 * The committed artifacts are exactly what the committed sources compile to (run `npm run build:contracts`
 * after editing a .sol file), and every contract fits the EIP-170 size limit.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ARTIFACTS_PATH, compileContracts, loadArtifacts, serializeArtifacts } from "./compile.ts";

describe("compile", () => {
  it("recompiling the sources reproduces contracts/artifacts.json byte for byte", () => {
    const fresh = serializeArtifacts(compileContracts());
    expect(fresh === readFileSync(ARTIFACTS_PATH, "utf8"), "artifacts are stale: run `npm run build:contracts`").toBe(true);
  }, 60_000);

  it("contains the six contracts, each under 24,576 bytes of runtime code, for osaka", () => {
    const artifacts = loadArtifacts();
    expect(Object.keys(artifacts.contracts)).toEqual(["LIT", "POPToken", "RewardPool", "Staking", "TicketBroker", "Unidirectional"]);
    expect(artifacts.evmVersion).toBe("osaka");
    expect(artifacts.compiler).toMatch(/^0\.8\.37/);
    for (const [name, a] of Object.entries(artifacts.contracts)) {
      expect((a.deployedBytecode.length - 2) / 2, name).toBeLessThan(24_576);
      expect(a.bytecode.startsWith("0x")).toBe(true);
    }
  });
});
