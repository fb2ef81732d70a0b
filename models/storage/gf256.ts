/**
 * Arithmetic in GF(2^8), the field Reed–Solomon shards are computed in.
 *
 * Purpose: the byte-level field operations and the small dense matrix algebra (product, inverse) that
 * `reedSolomon.ts` builds its generator and decoding matrices from.
 *
 * Method: the field is GF(2)[x] / (x^8 + x^4 + x^3 + x^2 + 1), i.e. primitive polynomial 0x11d, the one used by
 * most storage RS codes (Backblaze, klauspost/reedsolomon, Linux RAID-6). Because 0x11d is primitive, x (= 2)
 * generates the multiplicative group, so log/exp tables turn multiplication into an addition of logs. The exp
 * table is doubled (510 entries) so `exp[log a + log b]` needs no `mod 255`. For bulk work we also build the
 * full 256×256 product table (64 KiB): row c is "multiply by c" as a 256-byte lookup, which is what the
 * encode/decode inner loops index with each data byte. All tables are computed once at module load from the
 * polynomial alone, so they are identical in every process.
 */

/** The primitive polynomial x^8 + x^4 + x^3 + x^2 + 1. */
export const GF_POLY = 0x11d;

/** exp[i] = 2^i for i in [0, 510); doubled so a sum of two logs indexes it directly. */
export const GF_EXP: Uint8Array = new Uint8Array(510);
/** log[a] for a in [1, 255]; log[0] is unused (0 has no logarithm) and left at 0. */
export const GF_LOG: Uint8Array = new Uint8Array(256);
/** MUL[c * 256 + x] = c·x. Row c (a 256-byte subarray) is the "multiply by c" lookup table. */
export const GF_MUL_TABLE: Uint8Array = new Uint8Array(256 * 256);

buildTables();

function buildTables(): void {
  let x = 1;
  for (let i = 0; i < 255; i++) {
    GF_EXP[i] = x;
    GF_LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= GF_POLY;
  }
  // After 255 steps the generator must have cycled back to 1; otherwise the polynomial was not primitive.
  if (x !== 1) throw new Error("gf256: 0x11d did not generate the multiplicative group");
  for (let i = 255; i < 510; i++) GF_EXP[i] = GF_EXP[i - 255];
  for (let c = 1; c < 256; c++) {
    const logC = GF_LOG[c];
    const row = c << 8;
    for (let v = 1; v < 256; v++) GF_MUL_TABLE[row | v] = GF_EXP[logC + GF_LOG[v]];
  }
}

/** a + b (and a − b): addition in characteristic 2 is XOR. */
export function gfAdd(a: number, b: number): number {
  return a ^ b;
}

/** a·b. */
export function gfMul(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  return GF_EXP[GF_LOG[a] + GF_LOG[b]];
}

/** a / b; b must be non-zero. */
export function gfDiv(a: number, b: number): number {
  if (b === 0) throw new RangeError("gf256: division by zero");
  if (a === 0) return 0;
  return GF_EXP[GF_LOG[a] + 255 - GF_LOG[b]];
}

/** Multiplicative inverse of a non-zero element. */
export function gfInv(a: number): number {
  if (a === 0) throw new RangeError("gf256: zero has no inverse");
  return GF_EXP[255 - GF_LOG[a]];
}

/** a^e for an integer e ≥ 0 (0^0 = 1). */
export function gfPow(a: number, e: number): number {
  if (e === 0) return 1;
  if (a === 0) return 0;
  return GF_EXP[(GF_LOG[a] * e) % 255];
}

/** The 256-byte "multiply by c" row of the product table (a view, not a copy). */
export function gfMulRow(c: number): Uint8Array {
  return GF_MUL_TABLE.subarray(c << 8, (c << 8) + 256);
}

/**
 * A dense matrix over GF(2^8), row-major in one Uint8Array: entry (r, c) is `data[r * cols + c]`.
 * Kept as a plain record so matrices are cheap to slice and cache.
 */
export interface GfMatrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Uint8Array;
}

export function gfMatrix(rows: number, cols: number): GfMatrix {
  return { rows, cols, data: new Uint8Array(rows * cols) };
}

export function gfIdentity(size: number): GfMatrix {
  const m = gfMatrix(size, size);
  for (let i = 0; i < size; i++) m.data[i * size + i] = 1;
  return m;
}

/** A·B. */
export function gfMatMul(a: GfMatrix, b: GfMatrix): GfMatrix {
  if (a.cols !== b.rows) throw new RangeError(`gf256: cannot multiply ${a.rows}×${a.cols} by ${b.rows}×${b.cols}`);
  const out = gfMatrix(a.rows, b.cols);
  for (let r = 0; r < a.rows; r++) {
    for (let t = 0; t < a.cols; t++) {
      const coef = a.data[r * a.cols + t];
      if (coef === 0) continue;
      const rowMul = coef << 8;
      for (let c = 0; c < b.cols; c++) {
        out.data[r * b.cols + c] ^= GF_MUL_TABLE[rowMul | b.data[t * b.cols + c]];
      }
    }
  }
  return out;
}

/** The sub-matrix made of the given rows, in the given order. */
export function gfSelectRows(m: GfMatrix, rowIndexes: ArrayLike<number>): GfMatrix {
  const out = gfMatrix(rowIndexes.length, m.cols);
  for (let i = 0; i < rowIndexes.length; i++) {
    const r = rowIndexes[i];
    out.data.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), i * m.cols);
  }
  return out;
}

/**
 * Inverse of a square matrix by Gauss–Jordan elimination, or `null` if it is singular.
 * Singular is a value, not a throw: callers probing submatrices (tests of the MDS property) expect it.
 */
export function gfInvert(m: GfMatrix): GfMatrix | null {
  if (m.rows !== m.cols) throw new RangeError(`gf256: cannot invert a ${m.rows}×${m.cols} matrix`);
  const size = m.rows;
  const work = m.data.slice();
  const inv = gfIdentity(size);
  const out = inv.data;
  for (let col = 0; col < size; col++) {
    // Any non-zero pivot works in a finite field (no rounding), so take the first one found.
    let pivot = col;
    while (pivot < size && work[pivot * size + col] === 0) pivot++;
    if (pivot === size) return null;
    if (pivot !== col) {
      swapRows(work, size, pivot, col);
      swapRows(out, size, pivot, col);
    }
    const scale = gfInv(work[col * size + col]);
    if (scale !== 1) {
      const rowMul = scale << 8;
      for (let c = 0; c < size; c++) {
        work[col * size + c] = GF_MUL_TABLE[rowMul | work[col * size + c]];
        out[col * size + c] = GF_MUL_TABLE[rowMul | out[col * size + c]];
      }
    }
    for (let r = 0; r < size; r++) {
      if (r === col) continue;
      const factor = work[r * size + col];
      if (factor === 0) continue;
      const rowMul = factor << 8;
      for (let c = 0; c < size; c++) {
        work[r * size + c] ^= GF_MUL_TABLE[rowMul | work[col * size + c]];
        out[r * size + c] ^= GF_MUL_TABLE[rowMul | out[col * size + c]];
      }
    }
  }
  return inv;
}

function swapRows(data: Uint8Array, size: number, a: number, b: number): void {
  for (let c = 0; c < size; c++) {
    const t = data[a * size + c];
    data[a * size + c] = data[b * size + c];
    data[b * size + c] = t;
  }
}
