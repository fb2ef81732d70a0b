/**
 * The ABI codec: the Solidity specification's worked examples, selectors and topics, round trips over
 * generated types and values, and revert-data decoding.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AbiIndex, type AbiValue, decodeParams, decodeRevert, encodeParams, formatRevert, selectorOf } from "./abi.ts";
import type { AbiParam } from "./compile.ts";
import { bytesToHex, concatBytes, hexToBytes } from "./hex.ts";
import { fcParams } from "./testkit.ts";

const p = (type: string, components?: AbiParam[]): AbiParam => ({ name: "", type, components });
const words = (...w: string[]) => w.map((x) => x.padStart(64, "0")).join("");

describe("Solidity ABI specification examples", () => {
  it("f(uint256,uint32[],bytes10,bytes)", () => {
    const types = [p("uint256"), p("uint32[]"), p("bytes10"), p("bytes")];
    const values = [0x123n, [0x456n, 0x789n], bytesToHex(new TextEncoder().encode("1234567890")), bytesToHex(new TextEncoder().encode("Hello, world!"))];
    expect(bytesToHex(selectorOf("f(uint256,uint32[],bytes10,bytes)"))).toBe("0x8be65246");
    const expected =
      words("123", "80") +
      "3132333435363738393000000000000000000000000000000000000000000000" +
      words("e0", "2", "456", "789", "d") +
      "48656c6c6f2c20776f726c642100000000000000000000000000000000000000";
    const encoded = encodeParams(types, values);
    expect(bytesToHex(encoded)).toBe(`0x${expected}`);
    expect(decodeParams(types, encoded)).toEqual(values);
  });

  it("g(uint256[][],string[])", () => {
    const types = [p("uint256[][]"), p("string[]")];
    const values = [[[1n, 2n], [3n]], ["one", "two", "three"]];
    expect(bytesToHex(selectorOf("g(uint256[][],string[])"))).toBe("0x2289b18c");
    const expected =
      words("40", "140", "2", "40", "a0", "2", "1", "2", "1", "3", "3", "60", "a0", "e0", "3") +
      "6f6e650000000000000000000000000000000000000000000000000000000000" +
      words("3") +
      "74776f0000000000000000000000000000000000000000000000000000000000" +
      words("5") +
      "7468726565000000000000000000000000000000000000000000000000000000";
    const encoded = encodeParams(types, values);
    expect(bytesToHex(encoded)).toBe(`0x${expected}`);
    expect(decodeParams(types, encoded)).toEqual(values);
  });

  it("selectors, event topics, negative ints, tuples", () => {
    const index = new AbiIndex([
      { type: "function", name: "transfer", inputs: [p("address"), p("uint256")], outputs: [p("bool")] },
      { type: "event", name: "Transfer", inputs: [{ ...p("address"), indexed: true }, { ...p("address"), indexed: true }, p("uint256")] },
      { type: "function", name: "over", inputs: [p("uint8")] },
      { type: "function", name: "over", inputs: [p("uint16")] },
    ]);
    expect(bytesToHex(index.fn("transfer").selector)).toBe("0xa9059cbb");
    expect([...index.events.keys()]).toEqual(["0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"]);
    expect(() => index.fn("over")).toThrow(/no function/);
    expect(index.fn("over(uint16)").inputs[0].type).toBe("uint16");
    expect(bytesToHex(encodeParams([p("int8")], [-1n]))).toBe(`0x${"f".repeat(64)}`);
    expect(decodeParams([p("int8")], encodeParams([p("int8")], [-128n]))).toEqual([-128n]);
    const tuple = p("tuple[]", [p("address"), p("string")]);
    const value = [[`0x${"11".repeat(20)}`, "x"], [`0x${"22".repeat(20)}`, ""]];
    expect(decodeParams([tuple], encodeParams([tuple], [value]))).toEqual([value]);
  });

  it("rejects out-of-range and malformed values", () => {
    expect(() => encodeParams([p("uint8")], [256n])).toThrow(RangeError);
    expect(() => encodeParams([p("uint256")], [-1n])).toThrow(RangeError);
    expect(() => encodeParams([p("int8")], [128n])).toThrow(RangeError);
    expect(() => encodeParams([p("address")], ["0x1234"])).toThrow(/20 bytes/);
    expect(() => encodeParams([p("bytes32")], ["0x12"])).toThrow(/bytes32/);
    expect(() => encodeParams([p("bool")], [1n])).toThrow(/bool/);
    expect(() => encodeParams([p("uint256[2]")], [[1n]])).toThrow(/2 elements/);
    expect(() => encodeParams([p("uint256")], [1.5])).toThrow(/integer/);
    expect(() => decodeParams([p("uint256")], new Uint8Array(31))).toThrow(RangeError);
    expect(() => decodeParams([p("bytes")], hexToBytes(words("20", "ffff")))).toThrow(RangeError);
    expect(() => decodeParams([p("uint8")], hexToBytes(words("100")))).toThrow(/dirty/);
    expect(() => encodeParams([p("fixed128x18")], [1n])).toThrow(/unsupported/);
  });
});

describe("revert data", () => {
  it("decodes Error(string), Panic(uint256), custom errors; unknown selectors are undefined", () => {
    const errorString = concatBytes(hexToBytes("0x08c379a0"), encodeParams([p("string")], ["not enough"]));
    const e = decodeRevert(new Map(), errorString);
    expect(e).toEqual({ name: "Error", args: ["not enough"] });
    expect(formatRevert(e!)).toBe("not enough");
    const panic = concatBytes(hexToBytes("0x4e487b71"), encodeParams([p("uint256")], [0x11n]));
    expect(formatRevert(decodeRevert(new Map(), panic)!)).toBe("Panic(0x11)");
    const index = new AbiIndex([{ type: "error", name: "Oops", inputs: [p("uint256"), p("address")] }]);
    const custom = concatBytes(selectorOf("Oops(uint256,address)"), encodeParams(index.errors.values().next().value!.inputs, [7n, `0x${"ab".repeat(20)}`]));
    expect(formatRevert(decodeRevert(index.errors, custom)!)).toBe(`Oops(7, 0x${"ab".repeat(20)})`);
    expect(decodeRevert(index.errors, hexToBytes("0xdeadbeef"))).toBeUndefined();
    expect(decodeRevert(index.errors, new Uint8Array(0))).toBeUndefined();
  });
});

// ------------------------------------------------------------------------------------------ round trips

const hexOf = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map(bytesToHex);

const elementaryType: fc.Arbitrary<AbiParam> = fc.oneof(
  fc.integer({ min: 1, max: 32 }).map((k) => p(`uint${8 * k}`)),
  fc.integer({ min: 1, max: 32 }).map((k) => p(`int${8 * k}`)),
  fc.integer({ min: 1, max: 32 }).map((k) => p(`bytes${k}`)),
  fc.constantFrom(p("address"), p("bool"), p("bytes"), p("string")),
);

/** Types up to two levels of arrays and tuples. */
const typeArb: fc.Arbitrary<AbiParam> = fc.letrec<{ t: AbiParam }>((tie) => ({
  t: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    { weight: 4, arbitrary: elementaryType },
    { weight: 1, arbitrary: fc.tuple(tie("t"), fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined })).map(([inner, n]) => ({ ...inner, type: `${inner.type}[${n ?? ""}]` })) },
    { weight: 1, arbitrary: fc.array(tie("t"), { minLength: 1, maxLength: 3 }).map((cs) => p("tuple", cs)) },
  ),
})).t;

/** Values of `param`'s type, in the normalised form decode returns. */
function valueFor(param: AbiParam): fc.Arbitrary<AbiValue> {
  const array = /^(.*)\[(\d*)\]$/.exec(param.type);
  if (array !== null) {
    const inner = valueFor({ ...param, type: array[1] });
    const n = array[2] === "" ? undefined : Number(array[2]);
    return fc.array(inner, { minLength: n ?? 0, maxLength: n ?? 3 });
  }
  if (param.type === "tuple") return fc.tuple(...(param.components ?? []).map(valueFor));
  const m = /^(u?int|bytes)(\d+)$/.exec(param.type);
  if (m !== null) {
    const n = Number(m[2]);
    if (m[1] === "uint") return fc.bigInt({ min: 0n, max: (1n << BigInt(n)) - 1n });
    if (m[1] === "int") return fc.bigInt({ min: -(1n << BigInt(n - 1)), max: (1n << BigInt(n - 1)) - 1n });
    return hexOf(n);
  }
  switch (param.type) {
    case "address":
      return hexOf(20);
    case "bool":
      return fc.boolean();
    case "bytes":
      return fc.uint8Array({ maxLength: 70 }).map(bytesToHex);
    default:
      return fc.string({ maxLength: 40, unit: "grapheme" });
  }
}

describe("round trips", () => {
  it("decode(encode(v)) = v for generated parameter lists", () => {
    const list = fc.array(typeArb, { minLength: 0, maxLength: 5 }).chain((params) =>
      fc.tuple(...params.map(valueFor)).map((values) => params.map((param, i) => ({ param, value: values[i] }))),
    );
    fc.assert(
      fc.property(list, (cases) => {
        const params = cases.map((c) => c.param);
        const values = cases.map((c) => c.value);
        const encoded = encodeParams(params, values);
        expect(encoded.length % 32).toBe(0);
        expect(decodeParams(params, encoded)).toEqual(values);
      }),
      fcParams(300),
    );
  });
});
