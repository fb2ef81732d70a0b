/**
 * Hex and byte helpers shared by the EVM host, the ABI codec and the signer.
 *
 * Purpose: one canonical text form for addresses and byte strings across popsim (lowercase, 0x-prefixed), so
 * addresses compare with `===`, sort with `<`, and serve as Map keys without normalisation at each use.
 * Method: table-driven conversion (no regex, no per-byte string allocation in the hot path).
 */

/** A 20-byte address as lowercase 0x-prefixed hex (42 characters). */
export type AddressHex = `0x${string}` & { readonly __brand: "AddressHex" };
/** Any byte string as lowercase 0x-prefixed hex. */
export type Hex = `0x${string}`;

const HEX_BYTE: string[] = [];
for (let i = 0; i < 256; i++) HEX_BYTE.push(i.toString(16).padStart(2, "0"));

const NIBBLE = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i;
for (let i = 0; i < 6; i++) {
  NIBBLE[97 + i] = 10 + i;
  NIBBLE[65 + i] = 10 + i;
}

export function bytesToHex(bytes: Uint8Array): Hex {
  return `0x${bytesToHexBare(bytes)}` as Hex;
}

/**
 * Lowercase hex without the 0x prefix. Node's Buffer encoder returns one flat string; concatenating per byte
 * would build a rope of small strings, which costs ~1 KB per 32-byte key when kept as a Map key.
 */
export function bytesToHexBare(bytes: Uint8Array): string {
  if (bytes.length < 8) {
    let out = "";
    for (let i = 0; i < bytes.length; i++) out += HEX_BYTE[bytes[i]];
    return out;
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

export function hexToBytes(hex: string): Uint8Array {
  const start = hex.startsWith("0x") || hex.startsWith("0X") ? 2 : 0;
  const length = hex.length - start;
  if (length % 2 !== 0) throw new Error(`hexToBytes: odd length: ${hex}`);
  const out = new Uint8Array(length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = NIBBLE[hex.charCodeAt(start + 2 * i)] ?? -1;
    const lo = NIBBLE[hex.charCodeAt(start + 2 * i + 1)] ?? -1;
    if (hi < 0 || lo < 0) throw new Error(`hexToBytes: not hex: ${hex}`);
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** Validate and lowercase an address given as hex text or 20 bytes. */
export function toAddressHex(address: string | Uint8Array): AddressHex {
  if (typeof address !== "string") {
    if (address.length !== 20) throw new Error(`address must be 20 bytes, got ${address.length}`);
    return bytesToHex(address) as AddressHex;
  }
  if (address.length !== 42 || !(address.startsWith("0x") || address.startsWith("0X"))) {
    throw new Error(`not an address: ${address}`);
  }
  const lower = `0x${address.slice(2).toLowerCase()}`;
  hexToBytes(lower); // validates the digits
  return lower as AddressHex;
}

export const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000" as AddressHex;

/** Big-endian unsigned 256-bit encoding. */
export function uint256ToBytes(value: bigint): Uint8Array {
  if (value < 0n || value >> 256n !== 0n) throw new RangeError(`uint256 out of range: ${value}`);
  const out = new Uint8Array(32);
  let v = value;
  for (let i = 31; i >= 0 && v !== 0n; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function bytesToBigInt(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  return BigInt(bytesToHex(bytes));
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function utf8ToBytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
