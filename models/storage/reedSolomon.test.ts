/**
 * Tests for gf256.ts and reedSolomon.ts.
 *
 * Method: field axioms as properties; the MDS claim ("any k of n rebuild") checked exhaustively over every
 * k-subset for small and mid-size codes, and by fast-check over random data and erasure sets up to (29,80);
 * a golden fingerprint pins the generator, since shard bytes feed deterministic results.
 */
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  GF_EXP,
  GF_LOG,
  gfDiv,
  gfIdentity,
  gfInv,
  gfInvert,
  gfMatMul,
  gfMatrix,
  gfMul,
  gfMulRow,
  gfPow,
} from "./gf256.ts";
import { createCode, InsufficientShardsError, type ReedSolomonCode } from "./reedSolomon.ts";

/** Deterministic test bytes (no Math.random even in tests, so failures reproduce). */
function bytesFor(length: number, salt: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (salt * 0x9e3779b1) | 0;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x6b43a9b5) | 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Every k-subset of [0, n) in lexicographic order. */
function* subsets(n: number, k: number): Generator<number[]> {
  const idx = Array.from({ length: k }, (_, i) => i);
  while (true) {
    yield idx.slice();
    let i = k - 1;
    while (i >= 0 && idx[i] === n - k + i) i--;
    if (i < 0) return;
    idx[i]++;
    for (let j = i + 1; j < k; j++) idx[j] = idx[j - 1] + 1;
  }
}

function keepOnly(shards: Uint8Array[], keep: number[]): (Uint8Array | null)[] {
  const kept: (Uint8Array | null)[] = shards.map(() => null);
  for (const i of keep) kept[i] = shards[i];
  return kept;
}

const byteArb = fc.integer({ min: 0, max: 255 });
const nonZeroArb = fc.integer({ min: 1, max: 255 });

describe("gf256", () => {
  it("2 generates the multiplicative group of order 255 and log/exp are inverse", () => {
    const seen = new Set<number>();
    for (let i = 0; i < 255; i++) seen.add(GF_EXP[i]);
    expect(seen.size).toBe(255);
    expect(seen.has(0)).toBe(false);
    for (let a = 1; a < 256; a++) expect(GF_EXP[GF_LOG[a]]).toBe(a);
    expect(gfPow(2, 255)).toBe(1);
    expect(gfPow(2, 8)).toBe(0x1d); // x^8 ≡ x^4 + x^3 + x^2 + 1 (mod 0x11d)
  });

  it("satisfies the field axioms", () => {
    fc.assert(
      fc.property(byteArb, byteArb, byteArb, (a, b, c) => {
        expect(gfMul(a, b)).toBe(gfMul(b, a));
        expect(gfMul(gfMul(a, b), c)).toBe(gfMul(a, gfMul(b, c)));
        expect(gfMul(a, b ^ c)).toBe(gfMul(a, b) ^ gfMul(a, c));
        expect(gfMul(a, 1)).toBe(a);
        expect(gfMul(a, 0)).toBe(0);
        expect(gfMulRow(a)[b]).toBe(gfMul(a, b));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(byteArb, nonZeroArb, (a, b) => {
        expect(gfMul(gfInv(b), b)).toBe(1);
        expect(gfMul(gfDiv(a, b), b)).toBe(a);
      }),
      { numRuns: 2000 },
    );
  });

  it("matches carry-less multiplication reduced by 0x11d", () => {
    const slowMul = (a: number, b: number): number => {
      let p = 0;
      for (let i = 0; i < 8; i++) if (b & (1 << i)) p ^= a << i;
      for (let bit = 14; bit >= 8; bit--) if (p & (1 << bit)) p ^= 0x11d << (bit - 8);
      return p;
    };
    const mismatches: string[] = [];
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 256; b++) if (gfMul(a, b) !== slowMul(a, b)) mismatches.push(`${a}·${b}`);
    }
    expect(mismatches).toEqual([]);
  });

  it("inverts matrices (A·A⁻¹ = I) and reports singular ones as null", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 1e6 }), (size, salt) => {
        const m = gfMatrix(size, size);
        m.data.set(bytesFor(size * size, salt));
        const inv = gfInvert(m);
        if (inv === null) return;
        expect(Array.from(gfMatMul(m, inv).data)).toEqual(Array.from(gfIdentity(size).data));
      }),
      { numRuns: 300 },
    );
    const singular = gfMatrix(2, 2);
    singular.data.set([3, 5, 3, 5]);
    expect(gfInvert(singular)).toBeNull();
  });

  it("rejects division by zero", () => {
    expect(() => gfDiv(1, 0)).toThrow(RangeError);
    expect(() => gfInv(0)).toThrow(RangeError);
  });
});

describe("reedSolomon: construction", () => {
  it("is systematic: data shards are the padded data itself", () => {
    const code = createCode(4, 7);
    const data = bytesFor(10, 1);
    const shards = code.encode(data);
    expect(shards).toHaveLength(7);
    for (const s of shards) expect(s.length).toBe(3);
    expect(Array.from(shards[0])).toEqual(Array.from(data.subarray(0, 3)));
    expect(Array.from(shards[3])).toEqual([data[9], 0, 0]);
  });

  it("rejects impossible parameters", () => {
    expect(() => createCode(0, 4)).toThrow(RangeError);
    expect(() => createCode(5, 4)).toThrow(RangeError);
    expect(() => createCode(2, 256)).toThrow(RangeError);
    expect(() => createCode(2.5, 4)).toThrow(RangeError);
    expect(() => createCode(1, 255)).not.toThrow();
  });

  it("pins the generator and the encoding (golden fingerprint)", () => {
    // Shard bytes are part of byte-mode results; a change here changes every stored shard hash.
    const code = createCode(29, 80);
    const shards = code.encode(bytesFor(1000, 7));
    const digest = createHash("sha256");
    digest.update(code.generator.data);
    for (const s of shards) digest.update(s);
    expect(digest.digest("hex")).toBe("fbb909a2ee958859f82d96abbf4b9957930cb04df4c29fc8ec4c131d555653a9");
  });
});

/** Check every k-subset of shards rebuilds the data, and that reconstruct() restores every shard. */
function checkAllSubsets(code: ReedSolomonCode, data: Uint8Array, withReconstruct: boolean): number {
  const shards = code.encode(data);
  let count = 0;
  for (const keep of subsets(code.n, code.k)) {
    const kept = keepOnly(shards, keep);
    const out = code.decode(kept, data.length);
    if (Buffer.compare(Buffer.from(out), Buffer.from(data)) !== 0) {
      throw new Error(`RS(${code.k},${code.n}) failed to decode from shards [${keep.join(",")}]`);
    }
    if (withReconstruct) {
      const all = code.reconstruct(kept);
      for (let i = 0; i < code.n; i++) {
        if (Buffer.compare(Buffer.from(all[i]), Buffer.from(shards[i])) !== 0) {
          throw new Error(`RS(${code.k},${code.n}) reconstructed shard ${i} wrongly from [${keep.join(",")}]`);
        }
      }
    }
    count++;
  }
  return count;
}

function choose(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

describe("reedSolomon: any k of n rebuild (exhaustive)", () => {
  const small: [number, number][] = [
    [1, 1], [1, 3], [2, 2], [2, 4], [3, 6], [4, 8], [5, 9], [3, 10],
  ];
  for (const [k, n] of small) {
    it(`RS(${k},${n}): every ${k}-subset decodes and reconstructs, for several lengths`, () => {
      const code = createCode(k, n);
      // Lengths cover: empty, shorter than k, not a multiple of k or of 4 (byte tail), and multi-word.
      for (const length of [0, 1, k - 1, 7, 64 + 3, 1000]) {
        if (length < 0) continue;
        const count = checkAllSubsets(code, bytesFor(length, length + k * 31 + n), true);
        expect(count).toBe(choose(n, k));
      }
    });
  }

  const mid: [number, number][] = [[4, 10], [6, 12], [8, 14], [10, 14]];
  for (const [k, n] of mid) {
    it(`RS(${k},${n}): all C(${n},${k}) = ${choose(n, k)} subsets decode`, () => {
      const code = createCode(k, n);
      expect(checkAllSubsets(code, bytesFor(257, k * n), k * n <= 72)).toBe(choose(n, k));
    });
  }
});

describe("reedSolomon: random data and erasures (fast-check)", () => {
  const codeCache = new Map<string, ReedSolomonCode>();
  const codeFor = (k: number, n: number): ReedSolomonCode => {
    const key = `${k},${n}`;
    let code = codeCache.get(key);
    if (!code) {
      code = createCode(k, n);
      codeCache.set(key, code);
    }
    return code;
  };

  /** (k, n, data, set of shard indexes to erase with |erased| ≤ n − k). */
  const caseArb = fc
    .tuple(fc.integer({ min: 1, max: 29 }), fc.integer({ min: 0, max: 51 }))
    .chain(([k, extra]) =>
      fc.tuple(
        fc.constant(k),
        fc.constant(k + extra),
        fc.uint8Array({ minLength: 0, maxLength: 3000 }),
        fc.uniqueArray(fc.integer({ min: 0, max: k + extra - 1 }), { maxLength: extra }),
      ),
    );

  it("decode(encode(x) minus ≤ n−k erasures) = x, codes up to (29,80)", () => {
    fc.assert(
      fc.property(caseArb, ([k, n, data, erased]) => {
        const code = codeFor(k, n);
        const shards: (Uint8Array | null)[] = code.encode(data);
        for (const i of erased) shards[i] = null;
        expect(Buffer.from(code.decode(shards, data.length)).equals(Buffer.from(data))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("RS(29,80) with the maximum 51 erasures, random patterns; reconstruct restores every shard", () => {
    const code = codeFor(29, 80);
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 5000 }),
        fc.shuffledSubarray(Array.from({ length: 80 }, (_, i) => i), { minLength: 51, maxLength: 51 }),
        (data, erased) => {
          const original = code.encode(data);
          const shards: (Uint8Array | null)[] = original.slice();
          for (const i of erased) shards[i] = null;
          expect(Buffer.from(code.decode(shards, data.length)).equals(Buffer.from(data))).toBe(true);
          const rebuilt = code.reconstruct(shards);
          for (let i = 0; i < 80; i++) expect(Buffer.from(rebuilt[i]).equals(Buffer.from(original[i]))).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("RS(128,255) and RS(200,255) round-trip with the last data shards erased", () => {
    for (const [k, n] of [[128, 255], [200, 255]]) {
      const code = codeFor(k, n);
      const data = bytesFor(k * 9 + 5, k);
      const shards: (Uint8Array | null)[] = code.encode(data);
      for (let i = 0; i < n - k; i++) shards[k - 1 - i] = null;
      expect(Buffer.from(code.decode(shards, data.length)).equals(Buffer.from(data))).toBe(true);
    }
  });
});

describe("reedSolomon: failures and odd inputs", () => {
  it("decoding from fewer than k shards throws InsufficientShardsError with the counts", () => {
    const code = createCode(4, 8);
    const data = bytesFor(100, 3);
    const shards: (Uint8Array | null)[] = code.encode(data);
    for (const i of [0, 2, 5, 6, 7]) shards[i] = null;
    let caught: unknown;
    try {
      code.decode(shards, data.length);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(InsufficientShardsError);
    const err = caught as InsufficientShardsError;
    expect(err._tag).toBe("InsufficientShardsError");
    expect([err.shardsAvailable, err.shardsRequired, err.shardsTotal]).toEqual([3, 4, 8]);
    expect(err.message).toMatch(/needs at least 4 of 8 shards, but only 3 are available/);
    expect(() => code.reconstruct(shards)).toThrow(InsufficientShardsError);
  });

  it("rejects shards whose length does not match the original length, and wrong slot counts", () => {
    const code = createCode(3, 5);
    const shards = code.encode(bytesFor(30, 4));
    expect(() => code.decode(shards, 31)).toThrow(RangeError);
    expect(() => code.decode(shards.slice(0, 4), 30)).toThrow(RangeError);
    const mixed: (Uint8Array | null)[] = shards.slice();
    mixed[1] = new Uint8Array(9);
    expect(() => code.decode(mixed, 30)).toThrow(/shard 1 has 9 bytes/);
  });

  it("accepts unaligned shard views (subarrays at odd offsets)", () => {
    const code = createCode(5, 9);
    const data = bytesFor(1003, 5);
    const shards = code.encode(data).map((s) => {
      const backing = new Uint8Array(s.length + 3);
      backing.set(s, 1);
      return backing.subarray(1, 1 + s.length);
    });
    const kept: (Uint8Array | null)[] = shards.slice();
    for (const i of [0, 1, 3, 4]) kept[i] = null;
    expect(Buffer.from(code.decode(kept, data.length)).equals(Buffer.from(data))).toBe(true);
  });

  it("is deterministic and does not mutate its inputs", () => {
    const code = createCode(6, 10);
    const data = bytesFor(4097, 6);
    const copy = data.slice();
    const a = code.encode(data);
    const b = createCode(6, 10).encode(data);
    expect(Buffer.from(data).equals(Buffer.from(copy))).toBe(true);
    for (let i = 0; i < 10; i++) expect(Buffer.from(a[i]).equals(Buffer.from(b[i]))).toBe(true);
    const kept: (Uint8Array | null)[] = a.slice();
    kept[0] = null;
    const before = a.map((s) => s.slice());
    code.decode(kept, data.length);
    for (let i = 1; i < 10; i++) expect(Buffer.from(a[i]).equals(Buffer.from(before[i]))).toBe(true);
  });
});
