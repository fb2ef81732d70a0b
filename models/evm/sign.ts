/**
 * Keys, hashing and signatures for popsim: deterministic keys, Machinomy-style voucher signing, and the
 * native secp256k1 functions the EVM uses for `ecrecover`.
 *
 * Purpose: every key is derived from (seed, label) — never random — so a run's addresses, vouchers and
 * signatures are bit-identical across processes. Voucher signatures must verify on chain exactly as
 * Unidirectional.sol checks them: keccak256(contract ‖ chainId ‖ channelId ‖ payment), wrapped in the
 * eth-signed-message prefix, signed *without* pre-hashing (the 32-byte hash is the ECDSA message), encoded
 * r ‖ s ‖ v with v = 27/28 and low s.
 *
 * Method: `secp256k1@5` native bindings (libsecp256k1, RFC 6979 deterministic nonces, low-s output). The
 * package silently falls back to a pure-JS implementation when the native prebuild does not load, ~5–10×
 * slower; we load the two backends explicitly and report which one is active (`CRYPTO_BACKEND`).
 * keccak256 is @noble/hashes.
 */
import { createRequire } from "node:module";
import { keccak_256 } from "@noble/hashes/sha3.js";
import type * as Secp256k1 from "secp256k1";
import type { CustomCrypto } from "@ethereumjs/common";
import { type AddressHex, type Hex, bytesToHex, concatBytes, hexToBytes, uint256ToBytes, utf8ToBytes } from "./hex.ts";

type SecpLib = typeof Secp256k1;

function loadSecp256k1(): { lib: SecpLib; backend: "native" | "js"; loadError?: string } {
  const require = createRequire(import.meta.url);
  try {
    return { lib: require("secp256k1/bindings.js") as SecpLib, backend: "native" };
  } catch (error) {
    return { lib: require("secp256k1/elliptic.js") as SecpLib, backend: "js", loadError: String(error) };
  }
}

const loaded = loadSecp256k1();
const secp = loaded.lib;
/** Which secp256k1 implementation is in use. "js" is correct but slow: check it at start-up. */
export const CRYPTO_BACKEND: "native" | "js" = loaded.backend;
/** Why the native backend did not load (undefined when it did). */
export const CRYPTO_BACKEND_ERROR: string | undefined = loaded.loadError;

/** secp256k1 group order. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

export function keccak256(data: Uint8Array): Uint8Array {
  return keccak_256(data);
}

// ------------------------------------------------------------------------------------------ keys

export type KeyPair = { privateKey: Uint8Array; address: AddressHex };

/**
 * Private key for `label` under `seed`: keccak256("popsim/key/v1|seed|label|counter"), with the counter raised
 * in the (≈2^-128) case that the hash is not a valid scalar.
 */
export function derivePrivateKey(seed: string | number | bigint, label: string): Uint8Array {
  for (let counter = 0; counter < 1000; counter++) {
    const key = keccak_256(utf8ToBytes(`popsim/key/v1|${String(seed)}|${label}|${counter}`));
    if (secp.privateKeyVerify(key)) return key;
  }
  throw new Error("derivePrivateKey: no valid key in 1000 tries (impossible unless keccak is broken)");
}

/** Ethereum address of a private key: last 20 bytes of keccak256(uncompressed public key without 0x04). */
export function privateKeyToAddress(privateKey: Uint8Array): AddressHex {
  const publicKey = secp.publicKeyCreate(privateKey, false);
  return bytesToHex(keccak_256(publicKey.subarray(1)).subarray(12)) as AddressHex;
}

export function deriveKeyPair(seed: string | number | bigint, label: string): KeyPair {
  const privateKey = derivePrivateKey(seed, label);
  return { privateKey, address: privateKeyToAddress(privateKey) };
}

// ------------------------------------------------------------------------------------------ signatures

/** Sign a 32-byte hash as-is (no pre-hashing). Returns r ‖ s ‖ v, v = 27 + recovery id, s low. */
export function signHash(privateKey: Uint8Array, hash: Uint8Array): Uint8Array {
  if (hash.length !== 32) throw new Error(`signHash: hash must be 32 bytes, got ${hash.length}`);
  const { signature, recid } = secp.ecdsaSign(hash, privateKey);
  const out = new Uint8Array(65);
  out.set(signature, 0);
  out[64] = 27 + recid;
  return out;
}

/** Signer of a 32-byte hash from r ‖ s ‖ v (v 27/28 or 0/1); undefined when the signature is invalid. */
export function recoverAddress(hash: Uint8Array, signature: Uint8Array): AddressHex | undefined {
  if (hash.length !== 32 || signature.length !== 65) return undefined;
  const v = signature[64];
  const recid = v >= 27 ? v - 27 : v;
  if (recid !== 0 && recid !== 1) return undefined;
  try {
    const publicKey = secp.ecdsaRecover(signature.subarray(0, 64), recid, hash, false);
    return bytesToHex(keccak_256(publicKey.subarray(1)).subarray(12)) as AddressHex;
  } catch {
    return undefined;
  }
}

/** keccak256("\x19Ethereum Signed Message:\n32" ‖ digest): what `eth_sign` and Solidity's prefix check use. */
export function ethSignedMessageHash(digest: Uint8Array): Uint8Array {
  if (digest.length !== 32) throw new Error("ethSignedMessageHash: digest must be 32 bytes");
  return keccak_256(concatBytes(ETH_PREFIX_32, digest));
}
const ETH_PREFIX_32 = utf8ToBytes("\x19Ethereum Signed Message:\n32");

// ------------------------------------------------------------------------------------------ vouchers

/** A cumulative payment promise on one channel of one Unidirectional contract on one chain. */
export type Voucher = {
  contract: AddressHex;
  chainId: bigint;
  channelId: Hex; // 32 bytes
  payment: bigint; // cumulative, token wei
};

/** Unidirectional.paymentDigest: keccak256(abi.encodePacked(contract, chainid, channelId, payment)). */
export function voucherDigest(voucher: Voucher): Uint8Array {
  const channelId = hexToBytes(voucher.channelId);
  if (channelId.length !== 32) throw new Error("voucher channelId must be 32 bytes");
  return keccak_256(
    concatBytes(hexToBytes(voucher.contract), uint256ToBytes(voucher.chainId), channelId, uint256ToBytes(voucher.payment)),
  );
}

/** The sender's signature over a voucher, as Unidirectional.claim expects it. */
export function signVoucher(privateKey: Uint8Array, voucher: Voucher): Uint8Array {
  return signHash(privateKey, ethSignedMessageHash(voucherDigest(voucher)));
}

/** Who signed `signature` for `voucher` (off-chain check a receiver makes before serving more). */
export function voucherSigner(voucher: Voucher, signature: Uint8Array): AddressHex | undefined {
  return recoverAddress(ethSignedMessageHash(voucherDigest(voucher)), signature);
}

// ------------------------------------------------------------------------------------------ EVM crypto

/**
 * `Common({ customCrypto })` for @ethereumjs: native ecrecover (the precompile at 0x01) and ecsign (transaction
 * signing, noble's 'recovered' format: recovery byte first). keccak256 stays noble's (same as the default).
 */
export function evmCustomCrypto(): CustomCrypto {
  const ecrecover = (msgHash: Uint8Array, v: bigint, r: Uint8Array, s: Uint8Array, chainId?: bigint): Uint8Array => {
    let recid: bigint;
    if (chainId === undefined) recid = v - 27n;
    else recid = v - (2n * chainId + 35n);
    if (v === 0n || v === 1n) recid = v;
    if (recid !== 0n && recid !== 1n) throw new Error("ecrecover: invalid v");
    const sig = new Uint8Array(64);
    sig.set(r.subarray(Math.max(0, r.length - 32)), 32 - Math.min(32, r.length));
    sig.set(s.subarray(Math.max(0, s.length - 32)), 64 - Math.min(32, s.length));
    // The precompile catches the throw and returns empty output, like geth for r or s out of range.
    return secp.ecdsaRecover(sig, Number(recid), msgHash, false).subarray(1);
  };
  const ecsign = (msgHash: Uint8Array, privateKey: Uint8Array, opts?: { format?: string; prehash?: boolean }) => {
    if (opts?.prehash === true) throw new Error("ecsign: popsim signs 32-byte hashes without pre-hashing");
    const { signature, recid } = secp.ecdsaSign(msgHash, privateKey);
    if (opts?.format === "compact") return signature;
    const out = new Uint8Array(65);
    out[0] = recid;
    out.set(signature, 1);
    return out;
  };
  return {
    keccak256: keccak_256,
    ecrecover,
    ecsign: ecsign as unknown as CustomCrypto["ecsign"],
  };
}

/** True for a signature whose s is in the lower half of the group order (EIP-2), as Unidirectional requires. */
export function isLowS(signature: Uint8Array): boolean {
  const s = BigInt(bytesToHex(signature.subarray(32, 64)));
  return s <= SECP256K1_N / 2n;
}
