/**
 * Byte mode's shard bytes: the real sealed segments behind the ledger's shard identities.
 *
 * Purpose: in byte mode every segment is really encrypted (AES-256-GCM under its video's key), Reed–Solomon coded
 * and hashed (segment.ts), every holder keeps its own copy of its shard's bytes, audits hash real byte ranges and
 * repairs really decode and re-encode — through the *same* decisions metadata mode takes from the ledger's flags
 * (model.ts asserts that the byte answer and the flag answer agree at every audit and fetch).
 *
 * Method:
 * - Plaintext of segment s is drawn from its own stream ("storage/bytes/content/<s>"), so it can be regenerated for
 *   the end-to-end check without keeping it. The run secret for key derivation comes from the seed.
 * - `canonical[s]` holds the n shards as sealed: the uploader's precomputed audit answers, never read by repair.
 * - `stored[i]` is holder i's copy: the canonical array itself when it was stored intact (no copy needed: shards
 *   are never mutated in place), a fresh array of garbage when corrupted, null when absent.
 * - Corruption overwrites the *whole* shard, so any audited range differs: this is what lets metadata mode take the
 *   same audit decision from a flag without knowing which range was asked.
 */
import { Prng } from "../../sim/kernel/prng.ts";
import { createHash } from "node:crypto";
import { deriveVideoKey, verifyShard } from "./encrypt.ts";
import { createCode, type ReedSolomonCode } from "./reedSolomon.ts";
import { openSegment, sealSegment, type SegmentManifest } from "./segment.ts";

export class ByteStore {
  readonly code: ReedSolomonCode;
  readonly manifests: SegmentManifest[] = [];
  readonly canonical: Uint8Array[][] = [];
  readonly stored: (Uint8Array | null)[];
  private readonly keys: Uint8Array[] = [];
  private readonly garbage: Prng;

  constructor(
    private readonly seed: number,
    readonly k: number,
    readonly n: number,
    readonly videos: number,
    readonly segmentsPerVideo: number,
    readonly segmentBytes: number,
  ) {
    this.code = createCode(k, n);
    const secret = `popsim/storage/run-secret/${seed}`;
    for (let v = 0; v < videos; v++) this.keys.push(deriveVideoKey(secret, videoId(v)));
    const segments = videos * segmentsPerVideo;
    this.stored = new Array(segments * n).fill(null);
    for (let s = 0; s < segments; s++) {
      const v = Math.floor(s / segmentsPerVideo);
      const sealed = sealSegment(this.code, this.keys[v], videoId(v), s % segmentsPerVideo, this.plaintextOf(s));
      this.manifests.push(sealed.manifest);
      this.canonical.push(sealed.shards);
    }
    this.garbage = new Prng(seed, "storage/bytes/garbage");
  }

  /** The plaintext of segment s (regenerated from its stream). */
  plaintextOf(s: number): Uint8Array {
    return new Prng(this.seed, `storage/bytes/content/${s}`).bytes(this.segmentBytes);
  }

  shardLength(): number {
    return this.code.shardLength(this.segmentBytes + 16);
  }

  /** A holder stores a good copy of shard j of segment s (as uploaded, or as a repair rebuilt it). */
  store(s: number, j: number, bytes: Uint8Array): void {
    if (!verifyShard(bytes, this.manifests[s].shardHashes[j])) throw new RangeError(`byte store: shard ${j} of segment ${s} does not match its manifest`);
    this.stored[s * this.n + j] = bytes;
  }

  corrupt(i: number): void {
    this.stored[i] = this.garbage.bytes(this.shardLength());
  }

  drop(i: number): void {
    this.stored[i] = null;
  }

  /** The audit answer H(nonce ‖ bytes[offset, offset + length)) over the holder's copy (null: nothing to hash). */
  answer(i: number, nonce: Uint8Array, offset: number, length: number): Uint8Array | null {
    const b = this.stored[i];
    return b === null ? null : rangeHash(b, nonce, offset, length);
  }

  /** The expected answer, from the uploader's canonical shard. */
  expected(s: number, j: number, nonce: Uint8Array, offset: number, length: number): Uint8Array {
    return rangeHash(this.canonical[s][j], nonce, offset, length);
  }

  /** Does the holder's copy hash to the manifest? (What a repairer checks on each fetched shard.) */
  verifyStored(i: number): boolean {
    const b = this.stored[i];
    const s = Math.floor(i / this.n);
    return b !== null && verifyShard(b, this.manifests[s].shardHashes[i % this.n]);
  }

  /**
   * A repair: decode segment s from the fetched shards (index → bytes; others null), re-encode, and return every
   * shard. Throws if fewer than k were given (a bug: the caller counts first).
   */
  rebuild(s: number, fetched: (Uint8Array | null)[]): Uint8Array[] {
    const sealed = this.code.decode(fetched, this.manifests[s].sealedLength);
    const all = this.code.encode(sealed);
    for (let j = 0; j < this.n; j++) {
      if (!verifyShard(all[j], this.manifests[s].shardHashes[j])) throw new RangeError(`byte store: rebuilt shard ${j} of segment ${s} does not match its manifest`);
    }
    return all;
  }

  /** Open segment s from what the holders listed in `holders` (shard j → copy or null) store. */
  open(s: number, copies: (Uint8Array | null)[]): ReturnType<typeof openSegment> {
    const v = Math.floor(s / this.segmentsPerVideo);
    return openSegment(this.code, this.keys[v], this.manifests[s], copies);
  }
}

export function videoId(v: number): string {
  return `video-${v}`;
}

function rangeHash(bytes: Uint8Array, nonce: Uint8Array, offset: number, length: number): Uint8Array {
  const end = Math.min(bytes.length, offset + length);
  return new Uint8Array(createHash("sha256").update(nonce).update(bytes.subarray(Math.min(offset, end), end)).digest());
}

export function sameBytes(a: Uint8Array | null, b: Uint8Array | null): boolean {
  if (a === null || b === null || a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}
