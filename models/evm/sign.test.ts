/**
 * Keys and signatures: a published Ethereum vector, deterministic key derivation, sign/recover round trips,
 * agreement of the native EVM crypto with @ethereumjs's own (noble) implementation, and the voucher digest.
 */
import { ecrecover as nobleEcrecover, privateToPublic } from "@ethereumjs/util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type AddressHex, type Hex, bytesToHex, concatBytes, hexToBytes, uint256ToBytes, utf8ToBytes } from "./hex.ts";
import {
  CRYPTO_BACKEND,
  deriveKeyPair,
  derivePrivateKey,
  ethSignedMessageHash,
  evmCustomCrypto,
  isLowS,
  keccak256,
  privateKeyToAddress,
  recoverAddress,
  signHash,
  signVoucher,
  voucherDigest,
  voucherSigner,
} from "./sign.ts";
import { fcParams } from "./testkit.ts";

describe("sign", () => {
  it("uses the native backend", () => {
    expect(CRYPTO_BACKEND).toBe("native");
  });

  it("matches web3's documented eth_sign example", () => {
    const key = hexToBytes("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
    expect(privateKeyToAddress(key)).toBe("0x2c7536e3605d9c16a7a3d7b1898e529396a65c23");
    const hash = keccak256(utf8ToBytes("\x19Ethereum Signed Message:\n9Some data"));
    expect(bytesToHex(hash)).toBe("0x1da44b586eb0729ff70a73c326926f6ed5a25f5b056e7f47fbc6e58d86871655");
    expect(bytesToHex(signHash(key, hash))).toBe(
      "0xb91467e570a6466aa9e9876cbcd013baba02900b8979d43fe208a4a4f339f5fd6007e74cd82e037b800186422fc2da167c747ef045e5d18a5f5d4300f8e1a0291c",
    );
  });

  it("derives keys deterministically from (seed, label)", () => {
    const a = deriveKeyPair(7, "viewer/1");
    expect(deriveKeyPair(7, "viewer/1")).toEqual(a);
    expect(deriveKeyPair(7n, "viewer/1")).toEqual(a); // the seed's text form is what counts
    expect(deriveKeyPair(8, "viewer/1").address).not.toBe(a.address);
    expect(deriveKeyPair(7, "viewer/2").address).not.toBe(a.address);
    expect(a.address).toMatch(/^0x[0-9a-f]{40}$/);
    expect(bytesToHex(derivePrivateKey(7, "viewer/1"))).toBe(bytesToHex(a.privateKey));
  });

  it("sign → recover round trips with low s and v ∈ {27, 28}; tampering changes the signer", () => {
    fc.assert(
      fc.property(fc.string(), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.nat(64), (label, hash, flip) => {
        const k = deriveKeyPair("sign-test", label);
        const sig = signHash(k.privateKey, hash);
        expect(sig.length).toBe(65);
        expect([27, 28]).toContain(sig[64]);
        expect(isLowS(sig)).toBe(true);
        expect(recoverAddress(hash, sig)).toBe(k.address);
        const tampered = new Uint8Array(sig);
        tampered[flip % 64] ^= 1;
        expect(recoverAddress(hash, tampered)).not.toBe(k.address);
      }),
      fcParams(100),
    );
  });

  it("the EVM's native ecrecover and ecsign agree with @ethereumjs/noble, including high-s twins", () => {
    const crypto = evmCustomCrypto();
    const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    fc.assert(
      fc.property(fc.string(), fc.uint8Array({ minLength: 32, maxLength: 32 }), (label, hash) => {
        const k = deriveKeyPair("ecrecover-test", label);
        const sig = signHash(k.privateKey, hash);
        const [r, s, v] = [sig.subarray(0, 32), sig.subarray(32, 64), BigInt(sig[64])];
        expect(bytesToHex(crypto.ecrecover!(hash, v, r, s))).toBe(bytesToHex(nobleEcrecover(hash, v, r, s)));
        const highS = uint256ToBytes(N - BigInt(bytesToHex(s)));
        const twinV = v === 27n ? 28n : 27n;
        expect(bytesToHex(crypto.ecrecover!(hash, twinV, r, highS))).toBe(bytesToHex(nobleEcrecover(hash, twinV, r, highS)));
        // ecsign returns noble's 'recovered' layout: recovery id first, then r ‖ s.
        const ours = crypto.ecsign!(hash, k.privateKey, { format: "recovered", prehash: false } as never);
        expect(ours.length).toBe(65);
        expect(bytesToHex(ours.subarray(1))).toBe(bytesToHex(sig.subarray(0, 64)));
        const recovered = nobleEcrecover(hash, 27n + BigInt(ours[0]), ours.subarray(1, 33), ours.subarray(33, 65));
        expect(bytesToHex(recovered)).toBe(bytesToHex(privateToPublic(k.privateKey)));
      }),
      fcParams(50),
    );
    expect(() => crypto.ecrecover!(new Uint8Array(32), 27n, new Uint8Array(32), new Uint8Array(32))).toThrow();
    expect(() => crypto.ecrecover!(new Uint8Array(32), 29n, new Uint8Array(32), new Uint8Array(32))).toThrow(/invalid v/);
  });

  it("rejects malformed inputs", () => {
    expect(() => signHash(derivePrivateKey(1, "x"), new Uint8Array(31))).toThrow(/32 bytes/);
    expect(recoverAddress(new Uint8Array(32), new Uint8Array(64))).toBeUndefined();
    const sig = signHash(derivePrivateKey(1, "x"), new Uint8Array(32));
    const badV = new Uint8Array(sig);
    badV[64] = 30;
    expect(recoverAddress(new Uint8Array(32), badV)).toBeUndefined();
    expect(recoverAddress(new Uint8Array(32), new Uint8Array(65).fill(0xff))).toBeUndefined();
  });
});

describe("vouchers", () => {
  const contract = "0x1111111111111111111111111111111111111111" as AddressHex;
  const channelId = `0x${"ab".repeat(32)}` as Hex;

  it("digest is keccak256(contract ‖ chainId ‖ channelId ‖ payment), packed", () => {
    const expected = keccak256(concatBytes(hexToBytes(contract), uint256ToBytes(5n), hexToBytes(channelId), uint256ToBytes(99n)));
    expect(bytesToHex(voucherDigest({ contract, chainId: 5n, channelId, payment: 99n }))).toBe(bytesToHex(expected));
    expect(() => voucherDigest({ contract, chainId: 5n, channelId: "0x12", payment: 1n })).toThrow(/32 bytes/);
  });

  it("signature binds every field", () => {
    const k = deriveKeyPair("voucher-test", "sender");
    const v = { contract, chainId: 5n, channelId, payment: 99n };
    const sig = signVoucher(k.privateKey, v);
    expect(voucherSigner(v, sig)).toBe(k.address);
    expect(bytesToHex(sig)).toBe(bytesToHex(signHash(k.privateKey, ethSignedMessageHash(voucherDigest(v)))));
    for (const changed of [
      { ...v, payment: 100n },
      { ...v, chainId: 6n },
      { ...v, contract: "0x2222222222222222222222222222222222222222" as AddressHex },
      { ...v, channelId: `0x${"cd".repeat(32)}` as Hex },
    ]) {
      expect(voucherSigner(changed, sig)).not.toBe(k.address);
    }
  });
});
