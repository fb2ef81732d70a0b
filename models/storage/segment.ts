/**
 * The byte-mode segment pipeline: seal (encrypt → RS encode → hash shards) and open (verify → decode →
 * decrypt).
 *
 * Purpose: one place that composes encrypt.ts and reedSolomon.ts in the order the network uses, so the
 * storage model, its tests and its checker all run the same path (DESIGN.md §4, "real" storage).
 *
 * Method: the manifest of a sealed segment is (videoId, segmentIndex, k, n, sealedLength, shard hashes).
 * Opening drops every shard whose bytes do not match its manifest hash, then decodes from the intact ones;
 * the outcome is a tagged value — plaintext, too few intact shards, or an authentication failure (which can
 * only happen if the manifest itself was tampered with, since verified shards decode to the sealed bytes).
 */
import { decryptSegment, encryptSegment, excludeCorruptShards, shardHash, type SegmentAuthError } from "./encrypt.ts";
import type { ReedSolomonCode } from "./reedSolomon.ts";

export interface SegmentManifest {
  readonly videoId: string;
  readonly segmentIndex: number;
  readonly k: number;
  readonly n: number;
  /** Length of ciphertext ‖ tag, i.e. what RS encoded (decode needs it to strip padding). */
  readonly sealedLength: number;
  /** SHA-256 of each shard, indexed by shard number. */
  readonly shardHashes: readonly Uint8Array[];
}

export interface SealedSegment {
  readonly manifest: SegmentManifest;
  readonly shards: Uint8Array[];
}

export type OpenSegmentResult =
  | { readonly ok: true; readonly plaintext: Uint8Array; readonly shardsRejected: number[] }
  | {
      readonly ok: false;
      readonly reason: "insufficient-shards";
      readonly shardsIntact: number;
      readonly shardsRequired: number;
      readonly shardsRejected: number[];
    }
  | { readonly ok: false; readonly reason: "auth-failed"; readonly error: SegmentAuthError; readonly shardsRejected: number[] };

/** Encrypt a segment under its video key, RS-encode the sealed bytes, and hash every shard. */
export function sealSegment(
  code: ReedSolomonCode,
  key: Uint8Array,
  videoId: string,
  segmentIndex: number,
  plaintext: Uint8Array,
): SealedSegment {
  const sealed = encryptSegment(key, videoId, segmentIndex, plaintext);
  const shards = code.encode(sealed);
  return {
    manifest: {
      videoId,
      segmentIndex,
      k: code.k,
      n: code.n,
      sealedLength: sealed.length,
      shardHashes: shards.map(shardHash),
    },
    shards,
  };
}

/** Verify shards against the manifest, decode from the intact ones, decrypt. Never returns wrong bytes. */
export function openSegment(
  code: ReedSolomonCode,
  key: Uint8Array,
  manifest: SegmentManifest,
  shards: ReadonlyArray<Uint8Array | null>,
): OpenSegmentResult {
  if (manifest.k !== code.k || manifest.n !== code.n) {
    throw new RangeError(`openSegment: manifest is RS(${manifest.k},${manifest.n}), code is RS(${code.k},${code.n})`);
  }
  const expectedLength = code.shardLength(manifest.sealedLength);
  const lengthChecked = shards.map((s) => (s !== null && s !== undefined && s.length !== expectedLength ? null : s));
  const { shards: intact, rejected } = excludeCorruptShards(lengthChecked, manifest.shardHashes);
  // A shard of the wrong length is corrupt too; count it among the rejected.
  for (let i = 0; i < shards.length; i++) {
    if (shards[i] && lengthChecked[i] === null) rejected.push(i);
  }
  rejected.sort((a, b) => a - b);
  let intactCount = 0;
  for (const s of intact) if (s) intactCount++;
  if (intactCount < code.k) {
    return {
      ok: false,
      reason: "insufficient-shards",
      shardsIntact: intactCount,
      shardsRequired: code.k,
      shardsRejected: rejected,
    };
  }
  // intactCount ≥ k, so decode cannot throw InsufficientShardsError here; if it did, that is a bug and crashes.
  const sealed = code.decode(intact, manifest.sealedLength);
  const opened = decryptSegment(key, manifest.videoId, manifest.segmentIndex, sealed);
  if (!opened.ok) return { ok: false, reason: "auth-failed", error: opened.error, shardsRejected: rejected };
  return { ok: true, plaintext: opened.plaintext, shardsRejected: rejected };
}
