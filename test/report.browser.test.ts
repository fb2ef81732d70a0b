/**
 * The report in a real browser: headless Chromium (Debian `chromium`, driven by playwright-core) opens a report
 * built from a stored smoke run, and the page must show no console error, make no request that leaves the
 * machine (every request is recorded; only the file itself and inline data: URLs are allowed), and draw every
 * chart as a non-empty SVG with the expected marks — both the static and the interactive (Vega View) versions.
 * A full-page screenshot is kept in test-artifacts/report.png for people to look at.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { loadScenario } from "../scenarios/load.ts";
import { runScenario } from "../sim/runner/run.ts";
import { canonicalJson } from "../sim/store/canonicalJson.ts";
import { openStore } from "../sim/store/store.ts";
import { buildReport } from "../reports/html.ts";
import { ROOT } from "./helpers/cli.ts";

function chromiumPath(): string | undefined {
  try {
    return execFileSync("sh", ["-c", "command -v chromium || command -v chromium-browser"], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const exe = chromiumPath();
const dir = mkdtempSync(join(tmpdir(), "popsim-browser-"));
let htmlPath = "";
let browser: Browser | undefined;

beforeAll(async () => {
  if (!exe) return;
  const store = await openStore(join(dir, "runs.duckdb"));
  const s = loadScenario("smoke", [], 3).scenario;
  await store.beginRun({ runId: "smoke-s3-browser", scenario: s.name, params: JSON.parse(canonicalJson(s)), seed: s.seed, codeVersion: "test", codeDirty: false });
  const r = await runScenario({ scenario: s });
  await store.finishRun("smoke-s3-browser", { status: r.outcome.status, reason: r.outcome.reason, traceHash: r.outcome.traceHash, simTimeUs: r.outcome.time, events: r.outcome.events, wallTimeS: 0.3 }, r.metrics, r.timeseries);
  const rep = await buildReport(store, "smoke-s3-browser", { outDir: join(dir, "out") });
  htmlPath = rep.html;
  await store.close();
  browser = await chromium.launch({
    executablePath: exe,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!exe)("report in headless Chromium", () => {
  it("no console errors, no request leaving the machine, every chart a non-empty SVG with marks", async () => {
    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("request", (r) => requests.push(r.url()));
    const url = pathToFileURL(htmlPath).href;
    await page.goto(url, { waitUntil: "load" });
    // Give the interactive views a moment to render.
    await page.waitForSelector("svg", { state: "attached", timeout: 30_000 });
    await page.waitForTimeout(1500);
    const outside = requests.filter((u) => u !== url && !u.startsWith("data:") && !u.startsWith("blob:") && !u.startsWith("about:"));
    expect(outside, outside.join("\n")).toEqual([]);
    expect(errors, errors.join("\n")).toEqual([]);
    const svgs = await page.$$eval("svg", (els) => els.map((e) => ({
      marks: e.querySelectorAll("path, rect, line, circle, .mark-line, .mark-symbol").length,
      w: e.getBoundingClientRect().width,
      h: e.getBoundingClientRect().height,
      cls: e.getAttribute("class") ?? "",
    })));
    // Static SVGs are hidden once their interactive twin has rendered; check every chart that is on screen.
    const visible = svgs.filter((s) => s.w > 0 && s.h > 0 && s.cls.includes("marks"));
    expect(visible.length, JSON.stringify(svgs)).toBeGreaterThanOrEqual(3);
    for (const s of visible) {
      expect(s.marks).toBeGreaterThan(0);
      expect(s.w).toBeGreaterThan(50);
      expect(s.h).toBeGreaterThan(50);
    }
    const lineMarks = await page.$$eval("svg .mark-line path", (els) => els.filter((e) => (e.getAttribute("d") ?? "").length > 20).length);
    expect(lineMarks).toBeGreaterThan(0);
    mkdirSync(join(ROOT, "test-artifacts"), { recursive: true });
    const shot = join(ROOT, "test-artifacts", "report.png");
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(20_000);
    await page.close();
  });
});
