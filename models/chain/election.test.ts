/**
 * Election: the top N by approval stake, against a simple model; ledger tallies equal the brute-force sums of
 * every voter's stake over its current approvals, through any sequence of votes and slashings.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { electDelegates, pickSuperDelegates } from "./election.ts";
import { Ledger } from "./ledger.ts";

describe("electDelegates", () => {
  it("picks the top N eligible by approval stake, ties to the lower index (model check)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ tally: fc.bigInt({ min: 0n, max: 10n ** 24n }), eligible: fc.boolean() }), { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 1, max: 30 }),
        (cands, n) => {
          const tallies = cands.map((c) => c.tally);
          const eligible = Uint8Array.from(cands.map((c) => (c.eligible ? 1 : 0)));
          const { active, standby } = electDelegates(tallies, eligible, n);
          // Model: repeatedly take the best remaining eligible candidate.
          const left = cands.map((c, i) => ({ ...c, i })).filter((c) => c.eligible);
          const model: number[] = [];
          while (left.length > 0) {
            let best = 0;
            for (let j = 1; j < left.length; j++) if (left[j].tally > left[best].tally) best = j;
            model.push(left[best].i);
            left.splice(best, 1);
          }
          expect(active).toEqual(model.slice(0, n));
          expect(standby).toEqual(model.slice(n));
          expect(pickSuperDelegates(active, 7)).toEqual(model.slice(0, Math.min(7, n, model.length)));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("Ledger tallies", () => {
  it("equal Σ stake over current approvals after random votes and slashings", () => {
    const C = 12;
    const K = 4;
    const op = fc.oneof(
      fc.record({ kind: fc.constant("vote" as const), account: fc.nat(29), candidates: fc.uniqueArray(fc.nat(C - 1), { maxLength: K }) }),
      fc.record({ kind: fc.constant("slash" as const), offender: fc.nat(C - 1), slot: fc.nat(50) }),
    );
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 10n ** 24n }), { minLength: 30, maxLength: 30 }), fc.array(op, { maxLength: 80 }), (stakes, ops) => {
        const ledger = new Ledger(C, K, "genesis");
        stakes.forEach((s) => ledger.addAccount(-1, s));
        for (let c = 0; c < C; c++) ledger.selfAccount[c] = c;
        for (const o of ops) {
          if (o.kind === "vote") expect(ledger.applyVote(o.account, o.candidates).ok).toBe(true);
          else ledger.applyEvidence({ kind: "evidence", offender: o.offender, slot: o.slot, hashA: "a", hashB: "b", reporter: 0 }, 100_000n);
        }
        const expected: bigint[] = Array(C).fill(0n);
        for (let a = 0; a < ledger.accountCount; a++) for (const c of ledger.approvals[a]) expected[c] += ledger.stakeWei[a];
        expect(ledger.approvalWei).toEqual(expected);
        const total = stakes.reduce((x, y) => x + y, 0n);
        expect(ledger.totalStakeWei() + ledger.slashedWeiTotal).toBe(total);
      }),
      { numRuns: 200 },
    );
  });

  it("rejects malformed votes as values, and evidence only once", () => {
    const ledger = new Ledger(5, 2, "g");
    ledger.addAccount(-1, 10n);
    ledger.selfAccount[0] = 0;
    expect(ledger.applyVote(3, [1])).toEqual({ ok: false, reason: "unknown-account" });
    expect(ledger.applyVote(0, [1, 2, 3])).toEqual({ ok: false, reason: "too-many-candidates" });
    expect(ledger.applyVote(0, [9])).toEqual({ ok: false, reason: "unknown-candidate" });
    expect(ledger.applyVote(0, [1, 1])).toEqual({ ok: false, reason: "duplicate-candidate" });
    const ev = { kind: "evidence" as const, offender: 0, slot: 4, hashA: "x", hashB: "y", reporter: 1 };
    const first = ledger.applyEvidence(ev, 500_000n);
    expect(first.ok && first.amountWei).toBe(5n);
    expect(ledger.applyEvidence({ ...ev, hashA: "y", hashB: "x" }, 500_000n)).toEqual({ ok: false, reason: "already-applied" });
    expect(ledger.eligible()[0]).toBe(0);
  });
});
