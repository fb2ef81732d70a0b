/**
 * The code version recorded with every run: the git commit and whether the tree was dirty, or, outside a git
 * checkout (an installed package), the package version. Part of a run's identity.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface CodeVersion {
  version: string;
  dirty: boolean;
}

let cached: CodeVersion | undefined;

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string }).version;
}

export function codeVersion(): CodeVersion {
  if (cached) return cached;
  try {
    const opts = { cwd: PACKAGE_ROOT, encoding: "utf8" as const, stdio: ["ignore", "pipe", "ignore"] as ["ignore", "pipe", "ignore"] };
    const commit = execFileSync("git", ["rev-parse", "HEAD"], opts).trim();
    // Only tracked source counts as dirty; results files and scratch space do not.
    const status = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], opts).trim();
    cached = { version: commit.slice(0, 12), dirty: status.length > 0 };
  } catch {
    cached = { version: `v${packageVersion()}`, dirty: false };
  }
  return cached;
}
