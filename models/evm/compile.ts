/**
 * Compile popsim's Solidity contracts to `contracts/artifacts.json`.
 *
 * Purpose: the EVM host deploys contracts from committed artifacts, so runs never depend on the compiler at run
 * time (solc-js takes seconds to load). `compile.test.ts` recompiles and checks the committed file matches, so
 * a source edit without `npm run build:contracts` fails the tests.
 *
 * Method: solc-js standard JSON, every `contracts/*.sol` in name order, optimizer on (200 runs), EVM version
 * `osaka` (the host runs `Hardfork.Osaka`). Interfaces (empty bytecode) are left out. The output is written
 * with sorted contract names and a trailing newline, so identical sources give a byte-identical file.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

type Solc = { compile(input: string): string; version(): string };
/**
 * solc-js is loaded only when compiling: importing it costs ~1–2 s (it decompresses a 9 MB emscripten build), and
 * every run imports this module for `loadArtifacts`.
 */
const loadSolc = (): Solc => createRequire(import.meta.url)("solc") as Solc;

export const CONTRACTS_DIR = join(dirname(fileURLToPath(import.meta.url)), "contracts");
export const ARTIFACTS_PATH = join(CONTRACTS_DIR, "artifacts.json");
export const EVM_VERSION = "osaka";
export const OPTIMIZER_RUNS = 200;

export type AbiParam = {
  name: string;
  type: string;
  internalType?: string;
  indexed?: boolean;
  components?: AbiParam[];
};
export type AbiItem = {
  type: "function" | "constructor" | "event" | "error" | "fallback" | "receive";
  name?: string;
  inputs?: AbiParam[];
  outputs?: AbiParam[];
  stateMutability?: string;
  anonymous?: boolean;
};
export type Artifact = {
  source: string;
  abi: AbiItem[];
  /** Creation code, 0x-prefixed hex. */
  bytecode: string;
  /** Runtime code, 0x-prefixed hex. */
  deployedBytecode: string;
};
export type Artifacts = {
  compiler: string;
  evmVersion: string;
  optimizerRuns: number;
  contracts: Record<string, Artifact>;
};

type SolcOutput = {
  errors?: { severity: string; formattedMessage: string }[];
  contracts?: Record<
    string,
    Record<string, { abi: AbiItem[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>
  >;
};

/** Compile every `.sol` file in `dir`. Throws with solc's messages on any error. */
export function compileContracts(dir: string = CONTRACTS_DIR): Artifacts {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".sol"))
    .sort();
  const sources: Record<string, { content: string }> = {};
  for (const file of files) sources[file] = { content: readFileSync(join(dir, file), "utf8") };
  const input = {
    language: "Solidity",
    sources,
    settings: {
      optimizer: { enabled: true, runs: OPTIMIZER_RUNS },
      evmVersion: EVM_VERSION,
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
    },
  };
  const solc = loadSolc();
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) throw new Error(`solc failed:\n${errors.map((e) => e.formattedMessage).join("\n")}`);
  const contracts: Record<string, Artifact> = {};
  const names: [string, string][] = [];
  for (const file of Object.keys(output.contracts ?? {}).sort()) {
    for (const name of Object.keys(output.contracts![file]).sort()) names.push([file, name]);
  }
  names.sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  for (const [file, name] of names) {
    const c = output.contracts![file][name];
    if (c.evm.bytecode.object.length === 0) continue; // interface
    if (contracts[name] !== undefined) throw new Error(`duplicate contract name ${name}`);
    contracts[name] = {
      source: file,
      abi: c.abi,
      bytecode: `0x${c.evm.bytecode.object}`,
      deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
    };
  }
  return { compiler: String(solc.version()), evmVersion: EVM_VERSION, optimizerRuns: OPTIMIZER_RUNS, contracts };
}

export function serializeArtifacts(artifacts: Artifacts): string {
  return `${JSON.stringify(artifacts, null, 1)}\n`;
}

/** The committed artifacts (what the host deploys). */
export function loadArtifacts(path: string = ARTIFACTS_PATH): Artifacts {
  return JSON.parse(readFileSync(path, "utf8")) as Artifacts;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const artifacts = compileContracts();
  writeFileSync(ARTIFACTS_PATH, serializeArtifacts(artifacts));
  const sizes = Object.entries(artifacts.contracts).map(
    ([name, a]) => `${name} ${(a.deployedBytecode.length - 2) / 2} B`,
  );
  console.log(`compiled with solc ${artifacts.compiler} (${EVM_VERSION}): ${sizes.join(", ")} → ${ARTIFACTS_PATH}`);
}
