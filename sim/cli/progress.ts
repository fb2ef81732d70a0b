/**
 * A progress bar on stderr for runs longer than about two seconds: simulated-time %, events/s and ETA.
 * Wall-clock time is read here, outside any run's decisions: it only paints the terminal.
 */
import { formatDuration } from "../kernel/time.ts";

export class Progress {
  private readonly started = performance.now();
  private shown = false;
  private lastPaint = 0;
  constructor(private readonly durationUs: number, private readonly enabled: boolean) {}

  update = (timeUs: number, events: number): void => {
    if (!this.enabled) return;
    const now = performance.now();
    const elapsedS = (now - this.started) / 1000;
    if (elapsedS < 2 || now - this.lastPaint < 200) return;
    this.lastPaint = now;
    this.shown = true;
    const frac = Math.min(1, timeUs / this.durationUs);
    const width = 28;
    const filled = Math.round(frac * width);
    const rate = events / elapsedS;
    const eta = frac > 0 ? (elapsedS * (1 - frac)) / frac : Infinity;
    const bar = "█".repeat(filled) + "░".repeat(width - filled);
    process.stderr.write(`\r${bar} ${(frac * 100).toFixed(1).padStart(5)}%  sim ${formatDuration(timeUs)}/${formatDuration(this.durationUs)}  ${(rate / 1e6).toFixed(2)} M events/s  ETA ${Number.isFinite(eta) ? eta.toFixed(0) + "s" : "?"}   `);
  };

  done(): void {
    if (this.shown) process.stderr.write("\r" + " ".repeat(100) + "\r");
  }

  get wallSeconds(): number {
    return (performance.now() - this.started) / 1000;
  }
}
