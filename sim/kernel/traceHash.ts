/**
 * Running trace hash over processed events.
 *
 * Purpose: a cheap fingerprint of a run's whole event history. Two runs with the same identity (scenario after
 * overrides, seed, code version) must print the same hash; a single differing event, time or mixed-in outcome
 * changes it.
 *
 * Method: two independent 32-bit lanes, each a MurmurHash3-style multiply–rotate mix of every word fed in, with
 * different seeds and constants so that the 64-bit result has no trivial collisions. Times (≤ 2^53) are fed as
 * two 32-bit words. It is not cryptographic; it detects divergence, it does not resist forgery.
 */
import { fmix32 } from "./hash.ts";

const TWO_POW_32 = 4294967296;

export class TraceHash {
  private h1 = 0x9e3779b9 | 0;
  private h2 = 0x85ebca6b | 0;
  private count = 0;

  private word(w: number): void {
    let k = Math.imul(w | 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    let h = this.h1 ^ k;
    h = (h << 13) | (h >>> 19);
    this.h1 = (Math.imul(h, 5) + 0xe6546b64) | 0;
    let j = Math.imul(w | 0, 0x85ebca77);
    j = (j << 13) | (j >>> 19);
    j = Math.imul(j, 0xc2b2ae3d);
    let g = this.h2 ^ j;
    g = (g << 17) | (g >>> 15);
    this.h2 = (Math.imul(g, 9) + 0x27d4eb2f) | 0;
    this.count++;
  }

  /** Mix one processed event. */
  event(time: number, kind: number, target: number): void {
    // Three words: time's low 32 bits; its high 21 bits with the kind above them; the target.
    const hi = (time / TWO_POW_32) | 0;
    this.word(time | 0);
    this.word(hi ^ (kind << 21));
    this.word(target);
  }

  /** Mix an arbitrary finite number (integers exactly; other numbers via their float64 bits). */
  mix(value: number): void {
    if (Number.isSafeInteger(value)) {
      this.word(value % TWO_POW_32);
      this.word(Math.floor(value / TWO_POW_32));
    } else {
      const b = new DataView(new ArrayBuffer(8));
      b.setFloat64(0, value);
      this.word(b.getUint32(0));
      this.word(b.getUint32(4));
    }
  }

  /** Final 64-bit value as 16 hex digits (finalised with fmix32 on each lane, without altering state). */
  hex(): string {
    const f = (h: number, other: number): number => fmix32(h ^ this.count ^ other);
    const a = f(this.h1, this.h2 >>> 7), b = f(this.h2, this.h1 >>> 11);
    return a.toString(16).padStart(8, "0") + b.toString(16).padStart(8, "0");
  }
}
