/**
 * Tests for encrypt.ts: deterministic key and IV derivation, GCM round trips, and that every tampering
 * (bit flip, truncation, wrong slot, wrong key) is reported as a SegmentAuthError rather than wrong bytes.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decryptSegment,
  deriveVideoKey,
  encryptSegment,
  excludeCorruptShards,
  SEGMENT_TAG_BYTES,
  SegmentAuthError,
  segmentIv,
  shardHash,
  verifyShard,
} from "./encrypt.ts";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("key and IV derivation", () => {
  it("derives the same key from the same (secret, videoId), and different keys otherwise", () => {
    const a = deriveVideoKey("run-secret-1", "video-a");
    expect(a).toHaveLength(32);
    expect(hex(deriveVideoKey("run-secret-1", "video-a"))).toBe(hex(a));
    expect(hex(deriveVideoKey(new TextEncoder().encode("run-secret-1"), "video-a"))).toBe(hex(a));
    expect(hex(deriveVideoKey("run-secret-1", "video-b"))).not.toBe(hex(a));
    expect(hex(deriveVideoKey("run-secret-2", "video-a"))).not.toBe(hex(a));
    expect(() => deriveVideoKey("", "video-a")).toThrow(RangeError);
  });

  it("pins the derivation (golden), so a changed label cannot silently re-key every run", () => {
    expect(hex(deriveVideoKey("popsim", "v0"))).toBe(GOLDEN_KEY);
    expect(hex(segmentIv("v0", 258))).toBe(GOLDEN_IV);
  });

  it("gives a distinct IV to every segment index of a video, with the index in the low 8 bytes", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) seen.add(hex(segmentIv("video-x", i)));
    expect(seen.size).toBe(20_000);
    const iv = segmentIv("video-x", 0x0102030405);
    expect(iv).toHaveLength(12);
    expect(Array.from(iv.subarray(4))).toEqual([0, 0, 0, 1, 2, 3, 4, 5]);
    expect(hex(segmentIv("video-x", Number.MAX_SAFE_INTEGER)).endsWith("001fffffffffffff")).toBe(true);
    expect(() => segmentIv("video-x", -1)).toThrow(RangeError);
    expect(() => segmentIv("video-x", 1.5)).toThrow(RangeError);
  });
});

describe("encryptSegment / decryptSegment", () => {
  const key = deriveVideoKey("secret", "vid");

  it("round-trips any plaintext and is deterministic", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), fc.nat({ max: 1_000_000 }), (plaintext, index) => {
        const sealed = encryptSegment(key, "vid", index, plaintext);
        expect(sealed.length).toBe(plaintext.length + SEGMENT_TAG_BYTES);
        expect(hex(encryptSegment(key, "vid", index, plaintext))).toBe(hex(sealed));
        const opened = decryptSegment(key, "vid", index, sealed);
        expect(opened.ok).toBe(true);
        if (opened.ok) expect(hex(opened.plaintext)).toBe(hex(plaintext));
      }),
      { numRuns: 200 },
    );
  });

  it("detects any single bit flip anywhere in ciphertext or tag", () => {
    const plaintext = new TextEncoder().encode("a segment of video, about to be tampered with");
    const sealed = encryptSegment(key, "vid", 7, plaintext);
    fc.assert(
      fc.property(fc.nat({ max: sealed.length * 8 - 1 }), (bit) => {
        const tampered = sealed.slice();
        tampered[bit >>> 3] ^= 1 << (bit & 7);
        const opened = decryptSegment(key, "vid", 7, tampered);
        expect(opened.ok).toBe(false);
        if (!opened.ok) {
          expect(opened.error).toBeInstanceOf(SegmentAuthError);
          expect(opened.error._tag).toBe("SegmentAuthError");
        }
      }),
      { numRuns: 300 },
    );
  });

  it("rejects the wrong slot, the wrong key, truncation and a missing tag", () => {
    const plaintext = new Uint8Array(100).fill(42);
    const sealed = encryptSegment(key, "vid", 3, plaintext);
    const failures = [
      decryptSegment(key, "vid", 4, sealed),
      decryptSegment(key, "other-vid", 3, sealed),
      decryptSegment(deriveVideoKey("secret", "other-vid"), "vid", 3, sealed),
      decryptSegment(key, "vid", 3, sealed.subarray(0, sealed.length - 1)),
      decryptSegment(key, "vid", 3, sealed.subarray(1)),
      decryptSegment(key, "vid", 3, new Uint8Array(5)),
    ];
    for (const f of failures) {
      expect(f.ok).toBe(false);
      if (!f.ok) expect(f.error.message).toMatch(/failed authentication/);
    }
  });

  it("rejects keys that are not 32 bytes", () => {
    expect(() => encryptSegment(new Uint8Array(16), "vid", 0, new Uint8Array(1))).toThrow(RangeError);
  });
});

describe("shard hashes", () => {
  it("verifyShard accepts the original and rejects any single-bit change", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 512 }), fc.nat(), (shard, where) => {
        const hash = shardHash(shard);
        expect(verifyShard(shard, hash)).toBe(true);
        const bit = where % (shard.length * 8);
        const flipped = shard.slice();
        flipped[bit >>> 3] ^= 1 << (bit & 7);
        expect(verifyShard(flipped, hash)).toBe(false);
        expect(verifyShard(shard.subarray(0, shard.length - 1), hash)).toBe(false);
      }),
      { numRuns: 200 },
    );
    expect(verifyShard(new Uint8Array(4), new Uint8Array(31))).toBe(false);
  });

  it("excludeCorruptShards nulls out corrupted and substituted shards and reports them", () => {
    const shards = [new Uint8Array([1, 2]), new Uint8Array([3, 4]), new Uint8Array([5, 6]), new Uint8Array([7, 8])];
    const hashes = shards.map(shardHash);
    const received: (Uint8Array | null)[] = [shards[0], shards[2], null, new Uint8Array([7, 9])];
    const { shards: kept, rejected } = excludeCorruptShards(received, hashes);
    expect(kept[0]).toBe(shards[0]);
    expect(kept.slice(1)).toEqual([null, null, null]);
    expect(rejected).toEqual([1, 3]);
    expect(() => excludeCorruptShards(received, hashes.slice(1))).toThrow(RangeError);
  });
});

// Computed independently with a from-RFC-5869 HKDF in Python (hmac + hashlib), not with this code.
const GOLDEN_KEY = "76206fe79638e405451eaec2e32f8f8cc8d5a0e2d3d13eae7cbbe43ec8b3bafd";
const GOLDEN_IV = "c8fc85ac0000000000000102";
