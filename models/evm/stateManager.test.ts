/**
 * JournalStateManager against a naive model that deep-copies the whole state at every checkpoint (the
 * SimpleStateManager strategy): any sequence of writes, checkpoints, commits and reverts must read the same.
 */
import { Account, Address } from "@ethereumjs/util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bytesToHex } from "./hex.ts";
import { JournalStateManager } from "./stateManager.ts";
import { fcParams } from "./testkit.ts";

const addresses = [1, 2, 3].map((i) => new Address(new Uint8Array(20).fill(i)));
const slots = [0, 1, 2].map((i) => new Uint8Array(32).fill(i));

type ModelState = {
  accounts: Map<number, { nonce: bigint; balance: bigint }>;
  storage: Map<string, bigint>;
  code: Map<number, string>;
};
const copy = (s: ModelState): ModelState => ({
  accounts: new Map([...s.accounts].map(([k, v]) => [k, { ...v }])),
  storage: new Map(s.storage),
  code: new Map(s.code),
});

type Op =
  | { kind: "account"; a: number; nonce: bigint; balance: bigint }
  | { kind: "delete"; a: number }
  | { kind: "storage"; a: number; s: number; value: bigint }
  | { kind: "clear"; a: number }
  | { kind: "code"; a: number; code: Uint8Array }
  | { kind: "checkpoint" | "commit" | "revert" };

const a = fc.nat(2);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("account" as const), a, nonce: fc.bigInt({ min: 0n, max: 5n }), balance: fc.bigInt({ min: 0n, max: 10n ** 20n }) }),
  fc.record({ kind: fc.constant("delete" as const), a }),
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("storage" as const), a, s: fc.nat(2), value: fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: (1n << 256n) - 1n })) }) },
  fc.record({ kind: fc.constant("clear" as const), a }),
  fc.record({ kind: fc.constant("code" as const), a, code: fc.uint8Array({ maxLength: 4 }) }),
  { weight: 2, arbitrary: fc.constantFrom({ kind: "checkpoint" as const }, { kind: "commit" as const }, { kind: "revert" as const }) },
);

const word = (v: bigint) => {
  const out = new Uint8Array(32);
  for (let i = 31, x = v; i >= 0; i--, x >>= 8n) out[i] = Number(x & 0xffn);
  return out;
};

describe("JournalStateManager", () => {
  it("reads like a copy-on-checkpoint model under any op sequence", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
        const sm = new JournalStateManager();
        let model: ModelState = { accounts: new Map(), storage: new Map(), code: new Map() };
        const stack: ModelState[] = [];
        for (const o of ops) {
          switch (o.kind) {
            case "account":
              await sm.putAccount(addresses[o.a], new Account(o.nonce, o.balance));
              model.accounts.set(o.a, { nonce: o.nonce, balance: o.balance });
              break;
            case "delete":
              await sm.deleteAccount(addresses[o.a]);
              model.accounts.delete(o.a);
              break;
            case "storage":
              await sm.putStorage(addresses[o.a], slots[o.s], word(o.value));
              model.storage.set(`${o.a}/${o.s}`, o.value);
              break;
            case "clear":
              await sm.clearStorage(addresses[o.a]);
              for (const s of [0, 1, 2]) model.storage.delete(`${o.a}/${s}`);
              break;
            case "code":
              await sm.putCode(addresses[o.a], o.code);
              model.code.set(o.a, bytesToHex(o.code));
              if (!model.accounts.has(o.a)) model.accounts.set(o.a, { nonce: 0n, balance: 0n });
              break;
            case "checkpoint":
              await sm.checkpoint();
              stack.push(copy(model));
              break;
            case "commit":
              if (stack.length === 0) continue;
              await sm.commit();
              stack.pop();
              break;
            case "revert":
              if (stack.length === 0) continue;
              await sm.revert();
              model = stack.pop()!;
              break;
          }
          expect(sm.depth).toBe(stack.length);
          for (let i = 0; i < 3; i++) {
            const acc = await sm.getAccount(addresses[i]);
            const m = model.accounts.get(i);
            expect(acc === undefined ? undefined : { nonce: acc.nonce, balance: acc.balance }).toEqual(m);
            expect(bytesToHex(await sm.getCode(addresses[i]))).toBe(model.code.get(i) ?? "0x");
            for (let s = 0; s < 3; s++) {
              const v = await sm.getStorage(addresses[i], slots[s]);
              expect(v.length === 0 ? 0n : BigInt(bytesToHex(v))).toBe(model.storage.get(`${i}/${s}`) ?? 0n);
              if (v.length > 0) expect(v[0]).not.toBe(0); // stored without leading zeros
            }
          }
        }
        while (sm.depth > 0) await sm.commit();
        expect(sm.undoLength).toBe(0);
      }),
      fcParams(200),
    );
  });

  it("hands out copies: mutating a returned Account does not change state", async () => {
    const sm = new JournalStateManager();
    await sm.putAccount(addresses[0], new Account(1n, 5n));
    const acc = (await sm.getAccount(addresses[0]))!;
    acc.balance = 99n;
    expect((await sm.getAccount(addresses[0]))!.balance).toBe(5n);
    await sm.modifyAccountFields(addresses[0], { nonce: 7n });
    expect((await sm.getAccount(addresses[0]))!.nonce).toBe(7n);
    expect((await sm.getAccount(addresses[0]))!.balance).toBe(5n);
  });

  it("shallowCopy is independent; the digest is canonical (insertion order does not matter)", async () => {
    const x = new JournalStateManager();
    const y = new JournalStateManager();
    await x.putAccount(addresses[0], new Account(1n, 2n));
    await x.putStorage(addresses[1], slots[1], word(9n));
    await x.putStorage(addresses[1], slots[2], word(8n));
    await y.putStorage(addresses[1], slots[2], word(8n));
    await y.putStorage(addresses[1], slots[1], word(9n));
    await y.putAccount(addresses[0], new Account(1n, 2n));
    expect(x.stateDigest()).toBe(y.stateDigest());
    const z = x.shallowCopy();
    await z.putStorage(addresses[1], slots[1], word(10n));
    expect(z.stateDigest()).not.toBe(x.stateDigest());
    expect(await x.dumpStorage(addresses[1])).toEqual({ [bytesToHex(slots[1])]: "0x09", [bytesToHex(slots[2])]: "0x08" });
    await x.checkpoint();
    expect(() => x.shallowCopy()).toThrow(/open checkpoints/);
    await expect(new JournalStateManager().commit()).rejects.toThrow(/without checkpoint/);
    await expect(new JournalStateManager().revert()).rejects.toThrow(/without checkpoint/);
    expect(x.stats()).toEqual({ accounts: 1, contracts: 0, slots: 2 });
  });
});
