/**
 * JournalStateManager: an in-memory EVM state whose checkpoint, commit and revert cost O(changes), not
 * O(state).
 *
 * Purpose: the EVM checkpoints at every call frame. @ethereumjs's SimpleStateManager copies its whole maps at
 * each checkpoint, so a transfer gets slower as accounts accumulate; the Merkle state manager hashes tries on
 * every write. popsim needs neither a state root nor proofs, only fast, exact state with nested rollback.
 *
 * Method: flat maps (address → account record, address → slot → value, address → code) plus an undo log.
 * A checkpoint pushes the current undo-log length; every write while a checkpoint is open first appends
 * the value it overwrites; revert pops entries back to the mark, restoring values in reverse order; commit
 * just drops the mark (entries stay, so an enclosing checkpoint can still undo them). With no checkpoint open
 * writes are not logged at all, so the log is empty between top-level calls. Account objects handed to the
 * EVM are fresh copies, because the EVM mutates what `getAccount` returns before calling `putAccount`.
 *
 * `stateDigest()` replaces the state root: keccak256 over the canonical (sorted) state, for determinism
 * checks. It is O(state · log state) and meant to be called rarely (end of a run, tests).
 */
import { Account, Address } from "@ethereumjs/util";
import type { AccountFields, StateManagerInterface, StorageDump } from "@ethereumjs/common";
import { OriginalStorageCache } from "@ethereumjs/statemanager";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { type Hex, bytesToHex, bytesToHexBare, concatBytes, hexToBytes, uint256ToBytes, utf8ToBytes } from "./hex.ts";

type AccountRecord = {
  readonly nonce: bigint;
  readonly balance: bigint;
  readonly storageRoot: Uint8Array;
  readonly codeHash: Uint8Array;
  readonly codeSize: number;
};

type UndoEntry =
  | { kind: "account"; address: string; previous: AccountRecord | undefined }
  | { kind: "slot"; address: string; slot: string; previous: Uint8Array | undefined }
  | { kind: "code"; address: string; previous: Uint8Array | undefined }
  | { kind: "storage"; address: string; previous: Map<string, Uint8Array> | undefined };

const EMPTY = new Uint8Array(0);
const KECCAK_EMPTY = keccak_256(EMPTY);

/** Drop leading zero bytes; a stripped value is copied so it does not pin the caller's larger buffer. */
function strip(value: Uint8Array): Uint8Array {
  let i = 0;
  while (i < value.length && value[i] === 0) i++;
  return i === 0 ? value : value.slice(i);
}

export class JournalStateManager implements StateManagerInterface {
  private accounts = new Map<string, AccountRecord>();
  private storage = new Map<string, Map<string, Uint8Array>>();
  private code = new Map<string, Uint8Array>();
  private undo: UndoEntry[] = [];
  private marks: number[] = [];
  readonly originalStorageCache: OriginalStorageCache;

  constructor() {
    this.originalStorageCache = new OriginalStorageCache(this.getStorage.bind(this));
  }

  /** Number of open checkpoints. */
  get depth(): number {
    return this.marks.length;
  }

  /** Undo entries held (0 between top-level calls unless a host snapshot is open). */
  get undoLength(): number {
    return this.undo.length;
  }

  // ---------------------------------------------------------------------------- accounts

  async getAccount(address: Address): Promise<Account | undefined> {
    const record = this.accounts.get(bytesToHexBare(address.bytes));
    if (record === undefined) return undefined;
    return new Account(record.nonce, record.balance, record.storageRoot, record.codeHash, record.codeSize);
  }

  async putAccount(address: Address, account?: Account): Promise<void> {
    const key = bytesToHexBare(address.bytes);
    if (account === undefined) {
      this.setAccount(key, undefined);
      return;
    }
    this.setAccount(key, {
      nonce: account.nonce,
      balance: account.balance,
      storageRoot: account.storageRoot,
      codeHash: account.codeHash,
      codeSize: account.codeSize,
    });
  }

  async deleteAccount(address: Address): Promise<void> {
    this.setAccount(bytesToHexBare(address.bytes), undefined);
  }

  async modifyAccountFields(address: Address, fields: AccountFields): Promise<void> {
    const key = bytesToHexBare(address.bytes);
    const r = this.accounts.get(key);
    this.setAccount(key, {
      nonce: fields.nonce ?? r?.nonce ?? 0n,
      balance: fields.balance ?? r?.balance ?? 0n,
      storageRoot: fields.storageRoot ?? r?.storageRoot ?? new Account().storageRoot,
      codeHash: fields.codeHash ?? r?.codeHash ?? KECCAK_EMPTY,
      codeSize: fields.codeSize ?? r?.codeSize ?? 0,
    });
  }

  private setAccount(key: string, record: AccountRecord | undefined): void {
    if (this.marks.length > 0) this.undo.push({ kind: "account", address: key, previous: this.accounts.get(key) });
    if (record === undefined) this.accounts.delete(key);
    else this.accounts.set(key, record);
  }

  // ---------------------------------------------------------------------------- code

  async putCode(address: Address, value: Uint8Array): Promise<void> {
    const key = bytesToHexBare(address.bytes);
    if (this.marks.length > 0) this.undo.push({ kind: "code", address: key, previous: this.code.get(key) });
    if (value.length === 0) this.code.delete(key);
    else this.code.set(key, value);
    await this.modifyAccountFields(address, { codeHash: keccak_256(value), codeSize: value.length });
  }

  async getCode(address: Address): Promise<Uint8Array> {
    return this.code.get(bytesToHexBare(address.bytes)) ?? EMPTY;
  }

  async getCodeSize(address: Address): Promise<number> {
    return (await this.getCode(address)).length;
  }

  // ---------------------------------------------------------------------------- storage

  async getStorage(address: Address, key: Uint8Array): Promise<Uint8Array> {
    const slots = this.storage.get(bytesToHexBare(address.bytes));
    if (slots === undefined) return EMPTY;
    return slots.get(bytesToHexBare(key)) ?? EMPTY;
  }

  async putStorage(address: Address, key: Uint8Array, value: Uint8Array): Promise<void> {
    if (key.length !== 32) throw new Error("putStorage: key must be 32 bytes");
    if (value.length > 32) throw new Error("putStorage: value longer than 32 bytes");
    const addressKey = bytesToHexBare(address.bytes);
    const slot = bytesToHexBare(key);
    let slots = this.storage.get(addressKey);
    if (slots === undefined) {
      slots = new Map();
      this.storage.set(addressKey, slots);
    }
    if (this.marks.length > 0) this.undo.push({ kind: "slot", address: addressKey, slot, previous: slots.get(slot) });
    const stripped = strip(value);
    // Values are stored stripped of leading zeros and zero is stored as absence, like the Merkle trie.
    if (stripped.length === 0) slots.delete(slot);
    else slots.set(slot, stripped);
  }

  async clearStorage(address: Address): Promise<void> {
    const key = bytesToHexBare(address.bytes);
    if (this.marks.length > 0) this.undo.push({ kind: "storage", address: key, previous: this.storage.get(key) });
    this.storage.delete(key);
  }

  async dumpStorage(address: Address): Promise<StorageDump> {
    const slots = this.storage.get(bytesToHexBare(address.bytes));
    const out: StorageDump = {};
    if (slots === undefined) return out;
    for (const slot of [...slots.keys()].sort()) out[`0x${slot}`] = bytesToHex(slots.get(slot) as Uint8Array);
    return out;
  }

  // ---------------------------------------------------------------------------- checkpoints

  async checkpoint(): Promise<void> {
    this.marks.push(this.undo.length);
  }

  async commit(): Promise<void> {
    if (this.marks.length === 0) throw new Error("JournalStateManager.commit without checkpoint");
    this.marks.pop();
    if (this.marks.length === 0) this.undo.length = 0;
  }

  async revert(): Promise<void> {
    const mark = this.marks.pop();
    if (mark === undefined) throw new Error("JournalStateManager.revert without checkpoint");
    const undo = this.undo;
    for (let i = undo.length - 1; i >= mark; i--) {
      const entry = undo[i];
      switch (entry.kind) {
        case "account":
          if (entry.previous === undefined) this.accounts.delete(entry.address);
          else this.accounts.set(entry.address, entry.previous);
          break;
        case "slot": {
          let slots = this.storage.get(entry.address);
          if (entry.previous === undefined) {
            slots?.delete(entry.slot);
          } else {
            if (slots === undefined) {
              slots = new Map();
              this.storage.set(entry.address, slots);
            }
            slots.set(entry.slot, entry.previous);
          }
          break;
        }
        case "code":
          if (entry.previous === undefined) this.code.delete(entry.address);
          else this.code.set(entry.address, entry.previous);
          break;
        case "storage":
          if (entry.previous === undefined) this.storage.delete(entry.address);
          else this.storage.set(entry.address, entry.previous);
          break;
      }
    }
    undo.length = mark;
  }

  async flush(): Promise<void> {}

  clearCaches(): void {}

  // ---------------------------------------------------------------------------- roots and copies

  /** Not a Merkle root: the canonical state digest (see `stateDigest`). */
  async getStateRoot(): Promise<Uint8Array> {
    return hexToBytes(this.stateDigest());
  }

  async setStateRoot(): Promise<void> {
    throw new Error("JournalStateManager keeps no history of roots: use host snapshots instead");
  }

  async hasStateRoot(): Promise<boolean> {
    return false;
  }

  /** An independent copy (no open checkpoints allowed). Values are immutable and shared. */
  shallowCopy(): JournalStateManager {
    if (this.marks.length > 0) throw new Error("JournalStateManager.shallowCopy with open checkpoints");
    const copy = new JournalStateManager();
    copy.accounts = new Map(this.accounts);
    copy.code = new Map(this.code);
    for (const [address, slots] of this.storage) copy.storage.set(address, new Map(slots));
    return copy;
  }

  /**
   * keccak256 over accounts and storage in address and slot order:
   * for each address: address ‖ nonce ‖ balance ‖ codeHash ‖ (slot ‖ value)* ‖ "|".
   */
  stateDigest(): Hex {
    const addresses = new Set<string>(this.accounts.keys());
    for (const [address, slots] of this.storage) if (slots.size > 0) addresses.add(address);
    const parts: Uint8Array[] = [];
    for (const address of [...addresses].sort()) {
      const r = this.accounts.get(address);
      parts.push(hexToBytes(address), uint256ToBytes(r?.nonce ?? 0n), uint256ToBytes(r?.balance ?? 0n));
      parts.push(r?.codeHash ?? KECCAK_EMPTY);
      const slots = this.storage.get(address);
      if (slots !== undefined) {
        for (const slot of [...slots.keys()].sort()) {
          const value = new Uint8Array(32);
          const v = slots.get(slot) as Uint8Array;
          value.set(v, 32 - v.length);
          parts.push(hexToBytes(slot), value);
        }
      }
      parts.push(SEPARATOR);
    }
    return bytesToHex(keccak_256(concatBytes(...parts)));
  }

  /** Counts, for memory measurements and reports. */
  stats(): { accounts: number; contracts: number; slots: number } {
    let slots = 0;
    for (const s of this.storage.values()) slots += s.size;
    return { accounts: this.accounts.size, contracts: this.code.size, slots };
  }
}

const SEPARATOR = utf8ToBytes("|");
