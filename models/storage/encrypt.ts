/**
 * Segment encryption (AES-256-GCM) and shard content hashes.
 *
 * Purpose: in byte mode every video segment is encrypted before it is erasure coded, so a masternode holds
 * only ciphertext shards; every shard carries a content hash so a corrupted or substituted shard is dropped
 * before decoding (RS would otherwise decode it into wrong bytes) — DESIGN.md §4.
 *
 * Method:
 * - Keys are derived, never drawn: key(video) = HKDF-SHA256(ikm = run secret, salt = fixed domain label,
 *   info = videoId). The run secret comes from the scenario seed, so a run is reproducible to the bit and
 *   no two videos share a key.
 * - GCM needs a unique IV per (key, message); reuse leaks the XOR of plaintexts and the authentication key.
 *   The IV is 4 bytes bound to the videoId followed by the segment index as a 64-bit big-endian counter, so
 *   within one video's key every segment index has a distinct IV by construction (no birthday bound).
 *   Segments are immutable: re-encrypting different bytes under the same (videoId, segmentIndex) would reuse
 *   an IV, so a changed video must get a new videoId.
 * - The associated data names the slot (videoId, segmentIndex), so a ciphertext moved to another segment
 *   fails authentication even if a caller shared one key across videos.
 * - Authentication failure is returned as a typed value (`SegmentAuthError`): in a simulation, corruption is
 *   an expected outcome to count, and decryption never returns unauthenticated bytes.
 * - Shard hashes are SHA-256 of the shard bytes. They are assumed to come from authentic metadata (the
 *   uploader's manifest); if an attacker could also rewrite them, GCM authentication is the second line.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync } from "node:crypto";

export const SEGMENT_KEY_BYTES = 32;
export const SEGMENT_IV_BYTES = 12;
export const SEGMENT_TAG_BYTES = 16;
export const SHARD_HASH_BYTES = 32;

const KEY_SALT = "popsim/storage/video-key/v1";
const IV_LABEL = "popsim/storage/iv/v1|";
const AAD_LABEL = "popsim/storage/segment/v1|";
const SEGMENT_INDEX_MAX = Number.MAX_SAFE_INTEGER;

/** A sealed segment failed GCM authentication: it was corrupted, truncated, or opened in the wrong slot. */
export class SegmentAuthError extends Error {
  readonly _tag = "SegmentAuthError" as const;
  constructor(
    readonly videoId: string,
    readonly segmentIndex: number,
    readonly reason: string,
  ) {
    super(`segment ${videoId}#${segmentIndex} failed authentication: ${reason}`);
    this.name = "SegmentAuthError";
  }
}

export type DecryptResult =
  | { readonly ok: true; readonly plaintext: Uint8Array }
  | { readonly ok: false; readonly error: SegmentAuthError };

/** The per-video AES-256 key: HKDF-SHA256(run secret, videoId). Deterministic; the secret is passed in. */
export function deriveVideoKey(runSecret: Uint8Array | string, videoId: string): Uint8Array {
  const ikm = typeof runSecret === "string" ? Buffer.from(runSecret, "utf8") : runSecret;
  if (ikm.length === 0) throw new RangeError("deriveVideoKey: the run secret must not be empty");
  return new Uint8Array(hkdfSync("sha256", ikm, KEY_SALT, Buffer.from(videoId, "utf8"), SEGMENT_KEY_BYTES));
}

/** The 96-bit GCM IV of a segment: 4 bytes from SHA-256(videoId) ‖ segmentIndex as uint64 big-endian. */
export function segmentIv(videoId: string, segmentIndex: number): Uint8Array {
  checkSegmentIndex(segmentIndex);
  const iv = new Uint8Array(SEGMENT_IV_BYTES);
  iv.set(createHash("sha256").update(IV_LABEL).update(videoId, "utf8").digest().subarray(0, 4), 0);
  new DataView(iv.buffer).setBigUint64(4, BigInt(segmentIndex), false);
  return iv;
}

/** Encrypt one segment. Returns ciphertext ‖ 16-byte tag (length = plaintext length + 16). */
export function encryptSegment(
  key: Uint8Array,
  videoId: string,
  segmentIndex: number,
  plaintext: Uint8Array,
): Uint8Array {
  checkKey(key);
  const cipher = createCipheriv("aes-256-gcm", key, segmentIv(videoId, segmentIndex), {
    authTagLength: SEGMENT_TAG_BYTES,
  });
  cipher.setAAD(associatedData(videoId, segmentIndex));
  const body = cipher.update(plaintext);
  const tail = cipher.final(); // empty for GCM, kept for API correctness
  const tag = cipher.getAuthTag();
  const sealed = new Uint8Array(body.length + tail.length + tag.length);
  sealed.set(body, 0);
  sealed.set(tail, body.length);
  sealed.set(tag, body.length + tail.length);
  return sealed;
}

/** Decrypt one sealed segment; authentication failure is a `SegmentAuthError` value, never wrong bytes. */
export function decryptSegment(
  key: Uint8Array,
  videoId: string,
  segmentIndex: number,
  sealed: Uint8Array,
): DecryptResult {
  checkKey(key);
  if (sealed.length < SEGMENT_TAG_BYTES) {
    return { ok: false, error: new SegmentAuthError(videoId, segmentIndex, `only ${sealed.length} bytes, no tag`) };
  }
  const bodyLength = sealed.length - SEGMENT_TAG_BYTES;
  const decipher = createDecipheriv("aes-256-gcm", key, segmentIv(videoId, segmentIndex), {
    authTagLength: SEGMENT_TAG_BYTES,
  });
  decipher.setAAD(associatedData(videoId, segmentIndex));
  decipher.setAuthTag(sealed.subarray(bodyLength));
  const body = decipher.update(sealed.subarray(0, bodyLength));
  try {
    // final() is where GCM compares tags; it throws only on authentication failure. `body` must not escape
    // unless it returns, so the plaintext is assembled after this point.
    const tail = decipher.final();
    const plaintext = new Uint8Array(body.length + tail.length);
    plaintext.set(body, 0);
    plaintext.set(tail, body.length);
    return { ok: true, plaintext };
  } catch {
    body.fill(0);
    return { ok: false, error: new SegmentAuthError(videoId, segmentIndex, "GCM tag mismatch") };
  }
}

/** SHA-256 of a shard's bytes: the content hash recorded in the segment's manifest. */
export function shardHash(shard: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(shard).digest());
}

/** True when the shard's bytes hash to `expectedHash`. Call before decoding; exclude shards that fail. */
export function verifyShard(shard: Uint8Array, expectedHash: Uint8Array): boolean {
  if (expectedHash.length !== SHARD_HASH_BYTES) return false;
  const actual = shardHash(shard);
  let diff = 0;
  for (let i = 0; i < SHARD_HASH_BYTES; i++) diff |= actual[i] ^ expectedHash[i];
  return diff === 0;
}

/**
 * Replace every shard that fails its hash with `null` (missing), so decode can only see intact shards.
 * Returns the filtered slots and the indexes rejected (in ascending order), for audit metrics.
 */
export function excludeCorruptShards(
  shards: ReadonlyArray<Uint8Array | null>,
  expectedHashes: ReadonlyArray<Uint8Array>,
): { shards: (Uint8Array | null)[]; rejected: number[] } {
  if (shards.length !== expectedHashes.length) {
    throw new RangeError(`excludeCorruptShards: ${shards.length} shards but ${expectedHashes.length} hashes`);
  }
  const kept: (Uint8Array | null)[] = new Array(shards.length);
  const rejected: number[] = [];
  for (let i = 0; i < shards.length; i++) {
    const shard = shards[i];
    if (shard === null || shard === undefined) {
      kept[i] = null;
    } else if (verifyShard(shard, expectedHashes[i])) {
      kept[i] = shard;
    } else {
      kept[i] = null;
      rejected.push(i);
    }
  }
  return { shards: kept, rejected };
}

function associatedData(videoId: string, segmentIndex: number): Buffer {
  return Buffer.from(`${AAD_LABEL}${videoId}|${segmentIndex}`, "utf8");
}

function checkKey(key: Uint8Array): void {
  if (key.length !== SEGMENT_KEY_BYTES) throw new RangeError(`AES-256 key must be 32 bytes, got ${key.length}`);
}

function checkSegmentIndex(segmentIndex: number): void {
  if (!Number.isInteger(segmentIndex) || segmentIndex < 0 || segmentIndex > SEGMENT_INDEX_MAX) {
    throw new RangeError(`segment index must be an integer in [0, 2^53), got ${segmentIndex}`);
  }
}
