/**
 * A small Solidity ABI codec: encode calls and constructor arguments, decode return values, events and
 * revert data.
 *
 * Purpose: the host needs ABI encoding on every call; a general library (ethers, viem) is a large dependency
 * for the handful of types popsim's contracts use. Supported: uint<M>, int<M>, address, bool, bytes<M>,
 * bytes, string, T[] and T[k] of any of these, and tuples (positional arrays).
 *
 * Values: integers are bigint (a safe-integer `number` is accepted on input), addresses are lowercase
 * `0x…` strings, bytes are `0x…` strings (Uint8Array accepted on input), tuples and arrays are JS arrays.
 * Decoding validates bounds and throws on malformed data (a contract returning garbage is a bug).
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import type { AbiItem, AbiParam } from "./compile.ts";
import { type AddressHex, type Hex, bytesToHex, concatBytes, hexToBytes, uint256ToBytes, utf8ToBytes } from "./hex.ts";

export type AbiValue = bigint | number | boolean | string | Uint8Array | readonly AbiValue[];

type TypeNode =
  | { kind: "uint" | "int"; bits: number }
  | { kind: "address" | "bool" | "bytes" | "string" }
  | { kind: "fixedBytes"; size: number }
  | { kind: "array"; element: TypeNode; length: number | undefined }
  | { kind: "tuple"; components: TypeNode[] };

const typeCache = new Map<string, TypeNode>();

function parseType(param: AbiParam): TypeNode {
  if (param.type.startsWith("tuple")) {
    const components = (param.components ?? []).map(parseType);
    return wrapArrays({ kind: "tuple", components }, param.type.slice("tuple".length));
  }
  const cached = typeCache.get(param.type);
  if (cached !== undefined) return cached;
  const match = /^([a-z]+)(\d*)((?:\[\d*\])*)$/.exec(param.type);
  if (match === null) throw new Error(`abi: unsupported type ${param.type}`);
  const [, base, size, arrays] = match;
  let node: TypeNode;
  if (base === "uint" || base === "int") {
    const bits = size === "" ? 256 : Number(size);
    if (bits % 8 !== 0 || bits < 8 || bits > 256) throw new Error(`abi: bad type ${param.type}`);
    node = { kind: base, bits };
  } else if (base === "bytes" && size !== "") {
    const n = Number(size);
    if (n < 1 || n > 32) throw new Error(`abi: bad type ${param.type}`);
    node = { kind: "fixedBytes", size: n };
  } else if ((base === "address" || base === "bool" || base === "bytes" || base === "string") && size === "") {
    node = { kind: base };
  } else {
    throw new Error(`abi: unsupported type ${param.type}`);
  }
  node = wrapArrays(node, arrays);
  typeCache.set(param.type, node);
  return node;
}

function wrapArrays(inner: TypeNode, suffix: string): TypeNode {
  let node = inner;
  const re = /\[(\d*)\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(suffix)) !== null) {
    node = { kind: "array", element: node, length: m[1] === "" ? undefined : Number(m[1]) };
  }
  return node;
}

function isDynamic(t: TypeNode): boolean {
  switch (t.kind) {
    case "bytes":
    case "string":
      return true;
    case "array":
      return t.length === undefined || isDynamic(t.element);
    case "tuple":
      return t.components.some(isDynamic);
    default:
      return false;
  }
}

function headSize(t: TypeNode): number {
  if (isDynamic(t)) return 32;
  if (t.kind === "array") return (t.length as number) * headSize(t.element);
  if (t.kind === "tuple") return t.components.reduce((sum, c) => sum + headSize(c), 0);
  return 32;
}

// ------------------------------------------------------------------------------------------ encode

function toBigInt(value: AbiValue): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  throw new TypeError(`abi: expected an integer, got ${String(value)}`);
}

function toBytes(value: AbiValue): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === "string") return hexToBytes(value);
  throw new TypeError(`abi: expected bytes, got ${String(value)}`);
}

function padRight(bytes: Uint8Array): Uint8Array {
  const length = Math.ceil(bytes.length / 32) * 32;
  if (length === bytes.length) return bytes;
  const out = new Uint8Array(length);
  out.set(bytes);
  return out;
}

function encodeValue(t: TypeNode, value: AbiValue): Uint8Array {
  switch (t.kind) {
    case "uint": {
      const v = toBigInt(value);
      if (v < 0n || v >> BigInt(t.bits) !== 0n) throw new RangeError(`abi: uint${t.bits} out of range: ${v}`);
      return uint256ToBytes(v);
    }
    case "int": {
      const v = toBigInt(value);
      const limit = 1n << BigInt(t.bits - 1);
      if (v < -limit || v >= limit) throw new RangeError(`abi: int${t.bits} out of range: ${v}`);
      return uint256ToBytes(v < 0n ? (1n << 256n) + v : v);
    }
    case "address": {
      const bytes = toBytes(value);
      if (bytes.length !== 20) throw new TypeError(`abi: address must be 20 bytes: ${String(value)}`);
      const out = new Uint8Array(32);
      out.set(bytes, 12);
      return out;
    }
    case "bool": {
      if (typeof value !== "boolean") throw new TypeError(`abi: expected bool, got ${String(value)}`);
      const out = new Uint8Array(32);
      out[31] = value ? 1 : 0;
      return out;
    }
    case "fixedBytes": {
      const bytes = toBytes(value);
      if (bytes.length !== t.size) throw new TypeError(`abi: bytes${t.size} has ${bytes.length} bytes`);
      const out = new Uint8Array(32);
      out.set(bytes);
      return out;
    }
    case "bytes": {
      const bytes = toBytes(value);
      return concatBytes(uint256ToBytes(BigInt(bytes.length)), padRight(bytes));
    }
    case "string": {
      if (typeof value !== "string") throw new TypeError(`abi: expected string, got ${String(value)}`);
      const bytes = utf8ToBytes(value);
      return concatBytes(uint256ToBytes(BigInt(bytes.length)), padRight(bytes));
    }
    case "array": {
      if (!Array.isArray(value)) throw new TypeError(`abi: expected array, got ${String(value)}`);
      const items = value as readonly AbiValue[];
      if (t.length !== undefined && items.length !== t.length) {
        throw new TypeError(`abi: expected ${t.length} elements, got ${items.length}`);
      }
      const body = encodeSequence(
        items.map(() => t.element),
        items,
      );
      return t.length === undefined ? concatBytes(uint256ToBytes(BigInt(items.length)), body) : body;
    }
    case "tuple": {
      if (!Array.isArray(value)) throw new TypeError(`abi: expected tuple array, got ${String(value)}`);
      return encodeSequence(t.components, value as readonly AbiValue[]);
    }
  }
}

function encodeSequence(types: readonly TypeNode[], values: readonly AbiValue[]): Uint8Array {
  if (types.length !== values.length) throw new TypeError(`abi: expected ${types.length} values, got ${values.length}`);
  let headLength = 0;
  for (const t of types) headLength += headSize(t);
  const heads: Uint8Array[] = [];
  const tails: Uint8Array[] = [];
  let tailOffset = headLength;
  for (let i = 0; i < types.length; i++) {
    const encoded = encodeValue(types[i], values[i]);
    if (isDynamic(types[i])) {
      heads.push(uint256ToBytes(BigInt(tailOffset)));
      tails.push(encoded);
      tailOffset += encoded.length;
    } else {
      heads.push(encoded);
    }
  }
  return concatBytes(...heads, ...tails);
}

/** ABI-encode `values` as the parameter list `params`. */
export function encodeParams(params: readonly AbiParam[], values: readonly AbiValue[]): Uint8Array {
  return encodeSequence(params.map(parseType), values);
}

// ------------------------------------------------------------------------------------------ decode

function readWord(data: Uint8Array, offset: number): Uint8Array {
  if (offset < 0 || offset + 32 > data.length) throw new RangeError(`abi: read past end (${offset}/${data.length})`);
  return data.subarray(offset, offset + 32);
}

function readUint(data: Uint8Array, offset: number): bigint {
  return BigInt(bytesToHex(readWord(data, offset)));
}

function readLength(data: Uint8Array, offset: number): number {
  const v = readUint(data, offset);
  if (v > BigInt(data.length)) throw new RangeError(`abi: length/offset ${v} beyond data (${data.length})`);
  return Number(v);
}

function decodeValue(t: TypeNode, data: Uint8Array, offset: number): AbiValue {
  switch (t.kind) {
    case "uint": {
      const v = readUint(data, offset);
      if (v >> BigInt(t.bits) !== 0n) throw new RangeError(`abi: dirty uint${t.bits}`);
      return v;
    }
    case "int": {
      const raw = readUint(data, offset);
      const v = raw >> 255n === 1n ? raw - (1n << 256n) : raw;
      return v;
    }
    case "address":
      return bytesToHex(readWord(data, offset).subarray(12));
    case "bool":
      return readWord(data, offset)[31] === 1;
    case "fixedBytes":
      return bytesToHex(readWord(data, offset).subarray(0, t.size));
    case "bytes":
    case "string": {
      const length = readLength(data, offset);
      const start = offset + 32;
      if (start + length > data.length) throw new RangeError("abi: bytes past end");
      const bytes = data.subarray(start, start + length);
      return t.kind === "bytes" ? bytesToHex(bytes) : new TextDecoder().decode(bytes);
    }
    case "array": {
      if (t.length === undefined) {
        const length = readLength(data, offset);
        return decodeSequence(
          Array.from({ length }, () => t.element),
          data,
          offset + 32,
        );
      }
      return decodeSequence(
        Array.from({ length: t.length }, () => t.element),
        data,
        offset,
      );
    }
    case "tuple":
      return decodeSequence(t.components, data, offset);
  }
}

function decodeSequence(types: readonly TypeNode[], data: Uint8Array, base: number): AbiValue[] {
  const out: AbiValue[] = [];
  let head = base;
  for (const t of types) {
    if (isDynamic(t)) {
      const offset = readLength(data, head);
      out.push(decodeValue(t, data, base + offset));
      head += 32;
    } else {
      out.push(decodeValue(t, data, head));
      head += headSize(t);
    }
  }
  return out;
}

/** Decode ABI data laid out as the parameter list `params`. */
export function decodeParams(params: readonly AbiParam[], data: Uint8Array): AbiValue[] {
  return decodeSequence(params.map(parseType), data, 0);
}

// ------------------------------------------------------------------------------------------ signatures

function canonicalType(param: AbiParam): string {
  if (param.type.startsWith("tuple")) {
    return `(${(param.components ?? []).map(canonicalType).join(",")})${param.type.slice("tuple".length)}`;
  }
  return param.type;
}

/** "name(type1,type2)" as used for selectors and event topics. */
export function signatureOf(item: AbiItem): string {
  return `${item.name ?? ""}(${(item.inputs ?? []).map(canonicalType).join(",")})`;
}

export function selectorOf(signature: string): Uint8Array {
  return keccak_256(utf8ToBytes(signature)).subarray(0, 4);
}

export type AbiFunction = {
  name: string;
  signature: string;
  selector: Uint8Array;
  inputs: AbiParam[];
  outputs: AbiParam[];
  stateMutability: string;
};
export type AbiEvent = { name: string; signature: string; topic: Hex; inputs: AbiParam[]; anonymous: boolean };
export type AbiError = { name: string; signature: string; selector: Hex; inputs: AbiParam[] };

/** Lookup tables for one contract's ABI. Overloaded functions are addressed by full signature. */
export class AbiIndex {
  readonly functions = new Map<string, AbiFunction>();
  readonly events = new Map<Hex, AbiEvent>();
  readonly errors = new Map<Hex, AbiError>();
  readonly constructorInputs: AbiParam[];

  constructor(readonly abi: readonly AbiItem[]) {
    let ctor: AbiParam[] = [];
    const overloaded = new Set<string>();
    for (const item of abi) {
      if (item.type === "constructor") ctor = item.inputs ?? [];
      if (item.type === "function") {
        const signature = signatureOf(item);
        const fn: AbiFunction = {
          name: item.name as string,
          signature,
          selector: selectorOf(signature),
          inputs: item.inputs ?? [],
          outputs: item.outputs ?? [],
          stateMutability: item.stateMutability ?? "nonpayable",
        };
        this.functions.set(signature, fn);
        if (this.functions.has(fn.name) || overloaded.has(fn.name)) {
          this.functions.delete(fn.name);
          overloaded.add(fn.name);
        } else {
          this.functions.set(fn.name, fn);
        }
      } else if (item.type === "event") {
        const signature = signatureOf(item);
        this.events.set(bytesToHex(keccak_256(utf8ToBytes(signature))), {
          name: item.name as string,
          signature,
          topic: bytesToHex(keccak_256(utf8ToBytes(signature))),
          inputs: item.inputs ?? [],
          anonymous: item.anonymous === true,
        });
      } else if (item.type === "error") {
        const signature = signatureOf(item);
        this.errors.set(bytesToHex(selectorOf(signature)), {
          name: item.name as string,
          signature,
          selector: bytesToHex(selectorOf(signature)),
          inputs: item.inputs ?? [],
        });
      }
    }
    this.constructorInputs = ctor;
  }

  fn(nameOrSignature: string): AbiFunction {
    const fn = this.functions.get(nameOrSignature);
    if (fn === undefined) throw new Error(`abi: no function ${nameOrSignature}`);
    return fn;
  }

  encodeCall(nameOrSignature: string, args: readonly AbiValue[]): Uint8Array {
    const fn = this.fn(nameOrSignature);
    return concatBytes(fn.selector, encodeParams(fn.inputs, args));
  }
}

// ------------------------------------------------------------------------------------------ events and errors

export type DecodedLog = {
  address: AddressHex;
  /** Event name, or undefined when no known ABI has this topic. */
  name: string | undefined;
  /** Arguments by parameter name (indexed dynamic values are their keccak hash as hex). */
  args: Record<string, AbiValue>;
  topics: Hex[];
  data: Hex;
};

export function decodeLog(
  events: ReadonlyMap<Hex, AbiEvent>,
  address: Uint8Array,
  topics: Uint8Array[],
  data: Uint8Array,
): DecodedLog {
  const topicHex = topics.map(bytesToHex);
  const base = { address: bytesToHex(address) as AddressHex, topics: topicHex, data: bytesToHex(data) };
  const event = topicHex.length > 0 ? events.get(topicHex[0]) : undefined;
  if (event === undefined) return { ...base, name: undefined, args: {} };
  const args: Record<string, AbiValue> = {};
  const indexed = event.inputs.filter((p) => p.indexed === true);
  const plain = event.inputs.filter((p) => p.indexed !== true);
  indexed.forEach((p, i) => {
    const topic = topics[i + 1];
    const t = parseType(p);
    args[p.name] = isDynamic(t) || t.kind === "tuple" ? bytesToHex(topic) : decodeValue(t, topic, 0);
  });
  const values = decodeParams(plain, data);
  plain.forEach((p, i) => {
    args[p.name] = values[i];
  });
  return { ...base, name: event.name, args };
}

const ERROR_STRING_SELECTOR = "0x08c379a0";
const PANIC_SELECTOR = "0x4e487b71";

export type DecodedError = { name: string; args: AbiValue[] };

/** Decode revert data: Error(string), Panic(uint256), or a custom error from `errors`. */
export function decodeRevert(errors: ReadonlyMap<Hex, AbiError>, data: Uint8Array): DecodedError | undefined {
  if (data.length < 4) return undefined;
  const selector = bytesToHex(data.subarray(0, 4));
  const body = data.subarray(4);
  try {
    if (selector === ERROR_STRING_SELECTOR) {
      return { name: "Error", args: decodeParams([{ name: "message", type: "string" }], body) };
    }
    if (selector === PANIC_SELECTOR) {
      return { name: "Panic", args: decodeParams([{ name: "code", type: "uint256" }], body) };
    }
    const error = errors.get(selector);
    if (error === undefined) return undefined;
    return { name: error.name, args: decodeParams(error.inputs, body) };
  } catch {
    return undefined;
  }
}

/** Human-readable revert: the message of Error(string), `Panic(0x11)`, or `Name(arg, …)`. */
export function formatRevert(decoded: DecodedError): string {
  if (decoded.name === "Error") return String(decoded.args[0]);
  if (decoded.name === "Panic") return `Panic(0x${(decoded.args[0] as bigint).toString(16)})`;
  return `${decoded.name}(${decoded.args.map(formatValue).join(", ")})`;
}

export function formatValue(value: AbiValue): string {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "string") return value;
  if (typeof value === "boolean" || typeof value === "number") return String(value);
  if (value instanceof Uint8Array) return bytesToHex(value);
  return `[${(value as readonly AbiValue[]).map(formatValue).join(", ")}]`;
}
