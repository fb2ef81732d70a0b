/**
 * Small statistics helpers shared by the kernel's benchmark and tests (kept here because the kernel must not
 * depend on anything outside sim/kernel). Two-sided Student-t critical values by table for small df.
 */
const T95: Record<number, number> = { 1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228, 15: 2.131, 20: 2.086, 25: 2.060, 30: 2.042, 40: 2.021, 49: 2.010, 60: 2.000, 120: 1.980 };
const T99: Record<number, number> = { 1: 63.657, 2: 9.925, 3: 5.841, 4: 4.604, 5: 4.032, 6: 3.707, 7: 3.499, 8: 3.355, 9: 3.250, 10: 3.169, 15: 2.947, 20: 2.845, 25: 2.787, 30: 2.750, 40: 2.704, 49: 2.680, 60: 2.660, 120: 2.617 };

function lookup(table: Record<number, number>, df: number, inf: number): number {
  if (df <= 0) return Infinity;
  // The largest tabulated df not above the actual df: its critical value is larger, so the interval is wider.
  const keys = Object.keys(table).map(Number).sort((a, b) => b - a);
  for (const k of keys) if (k <= df) return df > 120 ? inf : table[k];
  return Infinity;
}

/** Conservative two-sided 95 % t critical value (uses the largest tabulated df at or below). */
export const tStudentCritical95 = (df: number): number => lookup(T95, df, 1.96);
/** Conservative two-sided 99 % t critical value. */
export const tStudentCritical99 = (df: number): number => lookup(T99, df, 2.576);
