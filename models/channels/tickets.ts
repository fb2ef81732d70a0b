/**
 * Probabilistic-micropayment tickets off chain: the exact hash, lottery and signature TicketBroker.sol checks.
 *
 * Purpose: one implementation of the ticket format for the wallet code (payments.ts) and the contract tests, so a
 * ticket popsim draws as a winner off chain is a winner on chain, bit for bit.
 *
 * Method:
 * - ticketHash = keccak256(broker ‖ chainId ‖ recipient ‖ sender ‖ faceValue ‖ winProb ‖ senderNonce ‖
 *   recipientRandHash ‖ expirationBlock), abi.encodePacked (addresses 20 bytes, integers 32): 252 bytes.
 * - win iff uint256(keccak256(recipientRand ‖ sender ‖ recipient ‖ senderNonce)) < winProb (TicketBroker's
 *   documented variant: the draw needs neither the signature nor the ticket hash, so only winners are hashed and
 *   signed).
 * - The sender signs ticketHash with the eth-signed-message prefix (sign.ts `signHash` over `ethSignedMessageHash`).
 * `TicketHasher` is the hot path: the lottery reuses one 104-byte buffer (one keccak-f permutation), takes the
 * nonce as two 32-bit halves and compares the draw with winProb byte by byte (no bigint); the ticket hash reuses
 * one 252-byte buffer. The plain functions are for tests and claims.
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import type { AbiValue } from "../evm/abi.ts";
import { type AddressHex, type Hex, bytesToHex, concatBytes, hexToBytes, uint256ToBytes } from "../evm/hex.ts";
import { ethSignedMessageHash, recoverAddress, signHash } from "../evm/sign.ts";

/** 2^256: winProb is a fraction of it. */
export const WIN_PROB_ONE = 1n << 256n;

export interface Ticket {
  recipient: AddressHex;
  sender: AddressHex;
  faceValue: bigint;
  winProb: bigint;
  senderNonce: bigint;
  recipientRandHash: Hex;
  expirationBlock: bigint;
}

const TICKET_BYTES = 252;
/** recipientRand (32) ‖ sender (20) ‖ recipient (20) ‖ senderNonce (32). */
const LOTTERY_BYTES = 104;

/** Writes ticket fields into reused buffers (the layouts of TicketBroker.getTicketHash and isWinningTicket). */
export class TicketHasher {
  private readonly buf = new Uint8Array(TICKET_BYTES);
  private readonly lottery = new Uint8Array(LOTTERY_BYTES);

  constructor(broker: AddressHex, chainId: bigint) {
    this.buf.set(hexToBytes(broker), 0);
    this.buf.set(uint256ToBytes(chainId), 20);
  }

  /** keccak256 of the packed ticket. Addresses and the rand hash as bytes; numbers as bigint. */
  hash(recipient: Uint8Array, sender: Uint8Array, faceValue: Uint8Array, winProb: Uint8Array, senderNonce: bigint, randHash: Uint8Array, expirationBlock: bigint): Uint8Array {
    const b = this.buf;
    b.set(recipient, 52);
    b.set(sender, 72);
    b.set(faceValue, 92);
    b.set(winProb, 124);
    writeUint(b, 156, senderNonce);
    b.set(randHash, 188);
    writeUint(b, 220, expirationBlock);
    return keccak_256(b);
  }

  /**
   * The lottery for a 64-bit senderNonce = hi·2^32 + lo: uint256(keccak256(rand ‖ sender ‖ recipient ‖ nonce)) <
   * winProb, with rand and winProb as 32 big-endian bytes.
   */
  wins(rand: Uint8Array, sender: Uint8Array, recipient: Uint8Array, nonceHi: number, nonceLo: number, winProb: Uint8Array): boolean {
    const b = this.lottery;
    b.set(rand, 0);
    b.set(sender, 32);
    b.set(recipient, 52);
    // bytes 72..96 of the nonce stay zero (a 64-bit nonce)
    b[96] = nonceHi >>> 24;
    b[97] = (nonceHi >>> 16) & 0xff;
    b[98] = (nonceHi >>> 8) & 0xff;
    b[99] = nonceHi & 0xff;
    b[100] = nonceLo >>> 24;
    b[101] = (nonceLo >>> 16) & 0xff;
    b[102] = (nonceLo >>> 8) & 0xff;
    b[103] = nonceLo & 0xff;
    const draw = keccak_256(b);
    for (let i = 0; i < 32; i++) {
      if (draw[i] !== winProb[i]) return draw[i] < winProb[i];
    }
    return false;
  }
}

/** Write `value` (0 ≤ value < 2^256) big-endian into b[offset .. offset+32). */
function writeUint(b: Uint8Array, offset: number, value: bigint): void {
  let v = value;
  for (let i = offset + 31; i >= offset; i--) {
    b[i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

export function ticketHash(broker: AddressHex, chainId: bigint, t: Ticket): Uint8Array {
  return new TicketHasher(broker, chainId).hash(
    hexToBytes(t.recipient), hexToBytes(t.sender), uint256ToBytes(t.faceValue), uint256ToBytes(t.winProb), t.senderNonce,
    hexToBytes(t.recipientRandHash), t.expirationBlock,
  );
}

export function isWinningTicket(recipientRand: bigint, sender: AddressHex, recipient: AddressHex, senderNonce: bigint, winProb: bigint): boolean {
  const lottery = concatBytes(uint256ToBytes(recipientRand), hexToBytes(sender), hexToBytes(recipient), uint256ToBytes(senderNonce));
  return BigInt(bytesToHex(keccak_256(lottery))) < winProb;
}

/** keccak256(abi.encodePacked(uint256 rand)): the commitment a recipient hands out. */
export function recipientRandHash(rand: bigint): Hex {
  return bytesToHex(keccak_256(uint256ToBytes(rand)));
}

/** The sender's signature over a ticket hash, as TicketBroker checks it. */
export function signTicket(privateKey: Uint8Array, hash: Uint8Array): Uint8Array {
  return signHash(privateKey, ethSignedMessageHash(hash));
}

export function ticketSigner(hash: Uint8Array, signature: Uint8Array): AddressHex | undefined {
  return recoverAddress(ethSignedMessageHash(hash), signature);
}

/** The Ticket struct as an ABI tuple value (field order of TicketBroker.Ticket). */
export function ticketTuple(t: Ticket): AbiValue[] {
  return [t.recipient, t.sender, t.faceValue, t.winProb, t.senderNonce, t.recipientRandHash, t.expirationBlock];
}

/** winProb for a ticket of expected value `evWei` and face value `faceValueWei`: ⌊ev·2^256/face⌋ (≤ 2^256 − 1). */
export function winProbFor(evWei: bigint, faceValueWei: bigint): bigint {
  const p = (evWei * WIN_PROB_ONE) / faceValueWei;
  return p >= WIN_PROB_ONE ? WIN_PROB_ONE - 1n : p;
}
