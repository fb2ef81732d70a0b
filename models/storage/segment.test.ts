/**
 * Byte-mode round trip: plaintext → encrypt → RS encode → random erasures and corruptions → verify/exclude →
 * decode → decrypt. The property: the plaintext comes back exactly whenever ≥ k intact shards remain, and a
 * clear "insufficient-shards" value comes back otherwise — never wrong bytes.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { deriveVideoKey, shardHash } from "./encrypt.ts";
import { createCode, type ReedSolomonCode } from "./reedSolomon.ts";
import { openSegment, sealSegment } from "./segment.ts";

const CODES: [number, number][] = [[1, 3], [3, 6], [4, 8], [10, 14], [10, 30], [29, 80]];
const codes = new Map<string, ReedSolomonCode>(CODES.map(([k, n]) => [`${k},${n}`, createCode(k, n)]));
const codeOf = (k: number, n: number): ReedSolomonCode => codes.get(`${k},${n}`) as ReedSolomonCode;

type Fate = "intact" | "erased" | "bitflip" | "substituted" | "truncated" | "extended";
const fateArb = fc.constantFrom<Fate>("intact", "intact", "intact", "erased", "bitflip", "substituted", "truncated", "extended");

describe("seal/open segment (byte mode)", () => {
  it("recovers the plaintext iff ≥ k shards are intact, excluding every corrupted shard", () => {
    const caseArb = fc.constantFrom(...CODES).chain(([k, n]) =>
      fc.record({
        k: fc.constant(k),
        n: fc.constant(n),
        plaintext: fc.uint8Array({ maxLength: 6000 }),
        segmentIndex: fc.nat({ max: 10_000 }),
        fates: fc.array(fateArb, { minLength: n, maxLength: n }),
        where: fc.array(fc.nat(), { minLength: n, maxLength: n }),
      }),
    );
    fc.assert(
      fc.property(caseArb, ({ k, n, plaintext, segmentIndex, fates, where }) => {
        const code = codeOf(k, n);
        const key = deriveVideoKey("round-trip-secret", "video-rt");
        const { manifest, shards } = sealSegment(code, key, "video-rt", segmentIndex, plaintext);
        const received: (Uint8Array | null)[] = new Array<Uint8Array | null>(n).fill(null);
        const expectRejected: number[] = [];
        let intact = 0;
        for (let i = 0; i < n; i++) {
          const original = shards[i];
          let got: Uint8Array | null;
          switch (fates[i]) {
            case "intact":
              got = original;
              break;
            case "erased":
              got = null;
              break;
            case "bitflip": {
              got = original.slice();
              if (got.length > 0) {
                const bit = where[i] % (got.length * 8);
                got[bit >>> 3] ^= 1 << (bit & 7);
              }
              break;
            }
            case "substituted":
              got = shards[(i + 1 + (where[i] % (n - 1 || 1))) % n].slice();
              break;
            case "truncated":
              got = original.subarray(0, Math.max(0, original.length - 1 - (where[i] % 4)));
              break;
            case "extended": {
              got = new Uint8Array(original.length + 1);
              got.set(original);
              break;
            }
          }
          if (got === null) continue;
          received[i] = got;
          // A "corruption" that leaves the bytes unchanged (identical shards, empty flips) is not corruption.
          if (Buffer.from(got).equals(Buffer.from(original))) intact++;
          else expectRejected.push(i);
        }
        const opened = openSegment(code, key, manifest, received);
        if (intact >= k) {
          expect(opened.ok).toBe(true);
          if (opened.ok) {
            expect(Buffer.from(opened.plaintext).equals(Buffer.from(plaintext))).toBe(true);
            expect(opened.shardsRejected).toEqual(expectRejected);
          }
        } else {
          expect(opened.ok).toBe(false);
          if (!opened.ok) {
            expect(opened.reason).toBe("insufficient-shards");
            if (opened.reason === "insufficient-shards") {
              expect(opened.shardsIntact).toBe(intact);
              expect(opened.shardsRequired).toBe(k);
              expect(opened.shardsRejected).toEqual(expectRejected);
            }
          }
        }
      }),
      { numRuns: 250 },
    );
  });

  it("a shard rewritten together with its manifest hash is caught by GCM, not decoded into wrong bytes", () => {
    const code = codeOf(4, 8);
    const key = deriveVideoKey("s", "v");
    const plaintext = new TextEncoder().encode("the manifest is the root of trust; GCM is the second line");
    const { manifest, shards } = sealSegment(code, key, "v", 0, plaintext);
    const forged = shards[1].slice();
    forged[0] ^= 0xff;
    const hashes = manifest.shardHashes.slice();
    hashes[1] = shardHash(forged);
    const received = shards.slice();
    received[1] = forged;
    const opened = openSegment(code, key, { ...manifest, shardHashes: hashes }, received);
    expect(opened.ok).toBe(false);
    if (!opened.ok) expect(opened.reason).toBe("auth-failed");
  });

  it("sealing is deterministic (same secret, video, index and bytes → same shards and hashes)", () => {
    const code = codeOf(10, 14);
    const plaintext = new Uint8Array(10_000).map((_, i) => (i * 7) & 255);
    const a = sealSegment(code, deriveVideoKey("x", "v"), "v", 5, plaintext);
    const b = sealSegment(code, deriveVideoKey("x", "v"), "v", 5, plaintext);
    expect(a.manifest.shardHashes.map((h) => Buffer.from(h).toString("hex"))).toEqual(
      b.manifest.shardHashes.map((h) => Buffer.from(h).toString("hex")),
    );
    expect(a.manifest.sealedLength).toBe(10_016);
  });

  it("rejects a manifest for a different code", () => {
    const { manifest, shards } = sealSegment(codeOf(3, 6), deriveVideoKey("x", "v"), "v", 0, new Uint8Array(9));
    expect(() => openSegment(codeOf(4, 8), deriveVideoKey("x", "v"), manifest, shards)).toThrow(RangeError);
  });
});
