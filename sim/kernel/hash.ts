/**
 * Small integer hashing shared by the kernel's trace hash and the models' deterministic hashing (e.g. storage
 * placement weights). Not cryptographic: for spreading and divergence detection only.
 */

/** MurmurHash3's 32-bit finaliser: a bijection on 32-bit integers with full avalanche. Returns an unsigned value. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
