// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "./IERC20.sol";

/// @title RewardPool: a fixed, pre-funded POP pool emitted on a schedule and shared by role.
/// @notice
///  - The pool (default 20% of supply = 320M POP) is transferred here at genesis; `start()` checks the balance
///    and starts the clock. Nothing is ever minted, so emission can never exceed the pool.
///  - Emission is a cumulative function E(t) of the seconds since start, with E(t) <= pool for every t and
///    E non-decreasing (DOMAIN.md §f):
///      Constant    E = pool·t/T, capped at pool                      (periodSeconds = T, the whole duration)
///      Halving     period k emits pool/2^(k+1), linearly within it   (periodSeconds = half-life H)
///      Exponential remaining R_{k+1} = floor(R_k·q/1e18), R_0 = pool; period k emits R_k − R_{k+1}, linearly
///                  within it (q = decayPerPeriodWad, the fraction kept per period: the per-period multiplier
///                  of e^(−λt) in fixed point)
///  - Each update splits the newly emitted amount across roles by basis points (role 0 = masternodes, 3500 by
///    default; the others are parameters). A role's part is shared pro rata to its members' shares through a
///    per-share accumulator (MasterChef): acc += part·1e18/totalShares.
///  - Exact, conservative integer accounting: each account stores the accumulator value at its last
///    settlement, and earns shares·(acc − snapshot)/1e18 (floor). Because shares are constant between
///    settlements and every increment is floored, the total paid to a role never exceeds what the role was
///    given; the rounding dust stays in the pool. A part whose role has no shares, and the rounding of the
///    basis-point split, go to `unallocated` (they stay in the pool and are never paid).
///  - Shares are set by `operator` (popsim's economy model acting on chain): what a share means per role
///    (bond, stake, bytes served in the last interval) is the economy model's decision, not this contract's.
/// @dev Time is block.timestamp (seconds), derived from the simulated clock.
contract RewardPool {
    enum Schedule {
        Constant,
        Halving,
        Exponential
    }

    struct Role {
        uint256 totalShares;
        uint256 accPerShare; // scaled by ACC_PRECISION
        uint256 emitted; // total ever allocated to this role
    }

    struct Member {
        uint256 shares;
        uint256 accSnapshot;
        uint256 owed; // settled but not yet claimed
    }

    uint256 public constant ACC_PRECISION = 1e18;
    uint256 public constant WAD = 1e18;
    uint256 public constant BPS = 10_000;
    uint256 public constant MAX_ROLES = 8;

    IERC20 public immutable token;
    uint256 public immutable pool;
    Schedule public immutable schedule;
    uint256 public immutable periodSeconds;
    uint256 public immutable decayPerPeriodWad;
    uint256 public immutable roleCount;

    address public operator;
    bool public started;
    uint256 public startTime;
    uint256 public totalEmitted;
    uint256 public totalClaimed;
    uint256 public unallocated;

    // Exponential schedule cache: R_k for k = expPeriod (computed forward, never recomputed).
    uint256 public expPeriod;
    uint256 public expRemaining;

    uint16[MAX_ROLES] private bps;
    mapping(uint256 => Role) public roles;
    mapping(uint256 => mapping(address => Member)) private members;

    event Started(uint256 startTime, uint256 pool);
    event SharesSet(uint256 indexed role, address indexed account, uint256 shares);
    event Claimed(address indexed account, uint256 amount);
    event OperatorChanged(address indexed operator);

    error NotOperator(address caller);
    error AlreadyStarted();
    error Underfunded(uint256 balance, uint256 pool);
    error BadSchedule();
    error BadRoles();
    error UnknownRole(uint256 role);
    error LengthMismatch();
    error NothingToClaim(address account);
    error ZeroAddress();
    error TokenTransferFailed();

    constructor(
        IERC20 token_,
        address operator_,
        uint256 pool_,
        Schedule schedule_,
        uint256 periodSeconds_,
        uint256 decayPerPeriodWad_,
        uint16[] memory roleBps_
    ) {
        if (operator_ == address(0)) revert ZeroAddress();
        if (periodSeconds_ == 0) revert BadSchedule();
        if (schedule_ == Schedule.Exponential && decayPerPeriodWad_ >= WAD) revert BadSchedule();
        uint256 n = roleBps_.length;
        if (n == 0 || n > MAX_ROLES) revert BadRoles();
        uint256 sum = 0;
        for (uint256 i = 0; i < n; i++) {
            bps[i] = roleBps_[i];
            sum += roleBps_[i];
        }
        if (sum != BPS) revert BadRoles();
        token = token_;
        operator = operator_;
        pool = pool_;
        schedule = schedule_;
        periodSeconds = periodSeconds_;
        decayPerPeriodWad = decayPerPeriodWad_;
        roleCount = n;
        expRemaining = pool_;
    }

    // ------------------------------------------------------------------ operator

    function start() external {
        _onlyOperator();
        if (started) revert AlreadyStarted();
        uint256 balance = token.balanceOf(address(this));
        if (balance < pool) revert Underfunded(balance, pool);
        started = true;
        startTime = block.timestamp;
        emit Started(startTime, pool);
    }

    function setOperator(address newOperator) external {
        _onlyOperator();
        if (newOperator == address(0)) revert ZeroAddress();
        operator = newOperator;
        emit OperatorChanged(newOperator);
    }

    function setShares(uint256 role, address account, uint256 shares) external {
        _onlyOperator();
        if (role >= roleCount) revert UnknownRole(role);
        _update();
        _setShares(role, account, shares);
    }

    function setSharesBatch(uint256 role, address[] calldata accounts, uint256[] calldata shares) external {
        _onlyOperator();
        if (role >= roleCount) revert UnknownRole(role);
        if (accounts.length != shares.length) revert LengthMismatch();
        _update();
        for (uint256 i = 0; i < accounts.length; i++) {
            _setShares(role, accounts[i], shares[i]);
        }
    }

    /// Anyone may bring the accumulators up to date (useful before reading `roles`).
    function update() external {
        _update();
    }

    // ------------------------------------------------------------------ members

    function claim() external returns (uint256 amount) {
        _update();
        for (uint256 role = 0; role < roleCount; role++) {
            Member storage member = members[role][msg.sender];
            _settle(roles[role], member);
            amount += member.owed;
            member.owed = 0;
        }
        if (amount == 0) revert NothingToClaim(msg.sender);
        totalClaimed += amount;
        if (!token.transfer(msg.sender, amount)) revert TokenTransferFailed();
        emit Claimed(msg.sender, amount);
    }

    // ------------------------------------------------------------------ views

    function pending(address account) external view returns (uint256 amount) {
        for (uint256 role = 0; role < roleCount; role++) {
            amount += pendingByRole(role, account);
        }
    }

    function pendingByRole(uint256 role, address account) public view returns (uint256) {
        if (role >= roleCount) revert UnknownRole(role);
        Member storage member = members[role][account];
        uint256 acc = roles[role].accPerShare;
        if (started && roles[role].totalShares != 0) {
            (uint256 e,,) = _cumulativeView(block.timestamp - startTime);
            uint256 delta = e - totalEmitted;
            acc += (delta * bps[role] / BPS) * ACC_PRECISION / roles[role].totalShares;
        }
        return member.owed + member.shares * (acc - member.accSnapshot) / ACC_PRECISION;
    }

    function sharesOf(uint256 role, address account) external view returns (uint256) {
        return members[role][account].shares;
    }

    function roleBps(uint256 role) external view returns (uint256) {
        if (role >= roleCount) revert UnknownRole(role);
        return bps[role];
    }

    /// Cumulative emission E at `timestamp` (0 before start), without changing state.
    function emittedAt(uint256 timestamp) external view returns (uint256 e) {
        if (!started || timestamp <= startTime) return 0;
        (e,,) = _cumulativeView(timestamp - startTime);
    }

    // ------------------------------------------------------------------ internals

    function _onlyOperator() private view {
        if (msg.sender != operator) revert NotOperator(msg.sender);
    }

    function _setShares(uint256 role, address account, uint256 shares) private {
        Role storage r = roles[role];
        Member storage member = members[role][account];
        _settle(r, member);
        r.totalShares = r.totalShares - member.shares + shares;
        member.shares = shares;
        emit SharesSet(role, account, shares);
    }

    function _settle(Role storage r, Member storage member) private {
        uint256 acc = r.accPerShare;
        uint256 snapshot = member.accSnapshot;
        if (acc != snapshot) {
            member.owed += member.shares * (acc - snapshot) / ACC_PRECISION;
            member.accSnapshot = acc;
        }
    }

    function _update() private {
        if (!started) return;
        uint256 elapsed = block.timestamp - startTime;
        (uint256 e, uint256 k, uint256 rk) = _cumulativeView(elapsed);
        if (schedule == Schedule.Exponential && k != expPeriod) {
            expPeriod = k;
            expRemaining = rk;
        }
        uint256 delta = e - totalEmitted;
        if (delta == 0) return;
        totalEmitted = e;
        uint256 allocated = 0;
        for (uint256 role = 0; role < roleCount; role++) {
            Role storage r = roles[role];
            uint256 part = delta * bps[role] / BPS;
            if (part == 0 || r.totalShares == 0) continue;
            r.accPerShare += part * ACC_PRECISION / r.totalShares;
            r.emitted += part;
            allocated += part;
        }
        unallocated += delta - allocated;
    }

    /// E(elapsed), and for the exponential schedule the period index k and R_k it used (to cache).
    function _cumulativeView(uint256 elapsed) private view returns (uint256 e, uint256 k, uint256 rk) {
        uint256 p = pool;
        uint256 h = periodSeconds;
        if (schedule == Schedule.Constant) {
            e = elapsed >= h ? p : p * elapsed / h;
        } else if (schedule == Schedule.Halving) {
            k = elapsed / h;
            if (k >= 255) return (p, k, 0);
            uint256 remK = p >> k;
            uint256 remNext = p >> (k + 1);
            e = p - remK + (remK - remNext) * (elapsed % h) / h;
        } else {
            k = elapsed / h;
            uint256 q = decayPerPeriodWad;
            uint256 i = expPeriod;
            rk = expRemaining;
            if (k < i) {
                // Only possible for a view of a past time: recompute from the start.
                i = 0;
                rk = p;
            }
            // Advance the cache; once R reaches 0 nothing is left to emit.
            while (i < k && rk != 0) {
                rk = rk * q / WAD;
                i++;
            }
            uint256 rNext = rk * q / WAD;
            e = p - rk + (rk - rNext) * (elapsed % h) / h;
        }
        if (e > p) e = p; // defensive: every branch above already keeps e <= p
    }
}
