/**
 * Simulated time: an integer count of microseconds in a JS number (exact to 2^53 µs ≈ 285 years).
 * Helpers convert from human units; conversion rounds to whole microseconds so time stays integral.
 */
export type Tick = number & { readonly __brand: "Tick" };

export const MICROS_PER_SECOND = 1_000_000;
export const SECOND = 1_000_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export const seconds = (s: number): Tick => Math.round(s * SECOND) as Tick;
export const millis = (ms: number): Tick => Math.round(ms * 1000) as Tick;
export const toSeconds = (t: number): number => t / SECOND;

const UNIT: Record<string, number> = { us: 1, ms: 1000, s: SECOND, m: MINUTE, min: MINUTE, h: HOUR, d: DAY, w: 7 * DAY, y: 365 * DAY };

/** Parse "90s", "2h", "1.5d", "250ms", "1y" (y = 365 d) into ticks; returns undefined if malformed. */
export function parseDuration(text: string): Tick | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|min|m|h|d|w|y)\s*$/.exec(text);
  if (!m) return undefined;
  const v = Number(m[1]) * UNIT[m[2]];
  return Number.isFinite(v) ? (Math.round(v) as Tick) : undefined;
}

/** Format ticks as a short human string (for messages and reports only). */
export function formatDuration(t: number): string {
  if (t >= DAY) return `${+(t / DAY).toFixed(2)}d`;
  if (t >= HOUR) return `${+(t / HOUR).toFixed(2)}h`;
  if (t >= MINUTE) return `${+(t / MINUTE).toFixed(2)}min`;
  if (t >= SECOND) return `${+(t / SECOND).toFixed(3)}s`;
  if (t >= 1000) return `${+(t / 1000).toFixed(3)}ms`;
  return `${t}us`;
}
