/**
 * sim/sweep/progress.ts — the sweep's progress bar on stderr: done/total, skipped, failed, elapsed and ETA.
 *
 * Wall-clock time is read here only to paint the terminal (outside every run: test/noGlobals exempts /sweep/).
 * The ETA extrapolates the mean wall time per finished job over the jobs still to run; skipped jobs are counted
 * as done but not as evidence of speed. Painted only on a TTY, at most five times a second, and erased at the end.
 */
export class SweepProgress {
  private readonly started = performance.now();
  private lastPaint = 0;
  private shown = false;
  done = 0;
  failed = 0;

  constructor(
    private readonly total: number,
    private readonly skipped: number,
    private readonly enabled: boolean,
    private readonly label = "sweep",
  ) {}

  /** One job finished (completed or failed). */
  tick(ok: boolean): void {
    this.done++;
    if (!ok) this.failed++;
    this.paint(false);
  }

  paint(force: boolean): void {
    if (!this.enabled) return;
    const now = performance.now();
    if (!force && now - this.lastPaint < 200 && this.done < this.toRun) return;
    this.lastPaint = now;
    this.shown = true;
    const elapsedS = (now - this.started) / 1000;
    const finished = this.skipped + this.done;
    const frac = this.total === 0 ? 1 : finished / this.total;
    const width = 24;
    const filled = Math.round(frac * width);
    const eta = this.done > 0 ? (elapsedS / this.done) * (this.toRun - this.done) : Number.NaN;
    const bar = "█".repeat(filled) + "░".repeat(width - filled);
    const extra = [this.skipped ? `${this.skipped} skipped` : "", this.failed ? `${this.failed} failed` : ""].filter(Boolean).join(", ");
    process.stderr.write(
      `\r${this.label} ${bar} ${finished}/${this.total}${extra ? ` (${extra})` : ""}  ${elapsedS.toFixed(0)}s elapsed  ETA ${Number.isFinite(eta) ? `${eta.toFixed(0)}s` : "?"}   `,
    );
  }

  end(): void {
    if (this.shown) process.stderr.write("\r" + " ".repeat(110) + "\r");
  }

  get wallSeconds(): number {
    return (performance.now() - this.started) / 1000;
  }

  private get toRun(): number {
    return this.total - this.skipped;
  }
}
