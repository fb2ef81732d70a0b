// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "./IERC20.sol";

/// Notified before an account's stake changes, so resources derived from stake (LIT) settle under the old stake.
interface IStakeObserver {
    function onStakeChange(address account) external;
}

/// @title Staking: SDPoS delegate election by stake-weighted approval voting, masternode bonds, slashing.
/// @notice
///  - Stake: anyone locks POP with `stake`. `unstake` moves it to an unbonding balance that `withdraw` releases
///    after `unbondingPeriod` seconds; unbonding tokens carry no votes but can still be slashed, which is what
///    the unbonding period is for (evidence found after the offender leaves still costs it).
///  - Delegates: an account with at least `delegateMinStake` staked may `registerDelegate`.
///  - Approval voting: `vote(candidates)` sets the voter's approval list (at most `maxApprovals`, registered
///    delegates, no duplicates). The voter's *whole* stake counts for *each* approved candidate (EOS-style), so
///    `votesFor[c]` is the sum of the stakes of the voters approving c. The consensus module reads
///    `delegateVotes()` and ranks (votes desc, address asc) itself.
///  - Masternodes: `registerMasternode` bonds exactly `masternodeBond` (default 50,000 POP). `unbondMasternode`
///    starts the unbonding period; `withdrawMasternode` returns what is left of the bond after it.
///  - Slashing: only `slasher` (the consensus module's account) may slash, once per evidence id. Slashed tokens
///    are burned: transferred to BURN_ADDRESS and added to `burned`. POP has no burn function, so
///    totalSupply stays 1.6e9 and the burned amount is explicit (DOMAIN.md §d invariant).
///  - Genesis: until `sealGenesis`, the admin may write the chain's initial stakes, delegates, approvals and
///    masternode bonds in bulk (`genesis*`), paying the tokens itself. This is a chain spec's genesis allocation
///    done through the contract's own bookkeeping and checks — the same state as one `stake`, `registerDelegate`,
///    `vote` or `registerMasternode` per holder — at a small fraction of the cost of one transaction per holder
///    (thousands of holders would otherwise cost seconds of EVM time per run). Per-holder `Staked` and `Voted`
///    events are not emitted for genesis writes (a genesis allocation has no transactions), and LIT is not told
///    (it regenerates never-settled accounts from its deployment, see LIT.sol); delegate and masternode
///    registrations still emit their events.
/// @dev Time is block.timestamp (seconds), which popsim derives from the simulated clock. Token conservation:
///      token.balanceOf(this) == totalStaked + totalUnbonding + totalBonded at all times.
contract Staking {
    enum MasternodeStatus {
        None,
        Active,
        Unbonding
    }

    struct Masternode {
        uint256 bond;
        uint64 unbondingUntil;
        MasternodeStatus status;
    }

    struct Unbonding {
        uint256 amount;
        uint64 releaseAt;
    }

    address public constant BURN_ADDRESS = 0x000000000000000000000000000000000000dEaD;

    IERC20 public immutable token;
    uint256 public immutable masternodeBond;
    uint256 public immutable unbondingPeriod;
    uint256 public immutable maxApprovals;
    uint256 public immutable delegateMinStake;
    address public immutable admin;

    address public slasher;
    IStakeObserver public stakeObserver;

    mapping(address => uint256) public stakeOf;
    mapping(address => Unbonding) public unbondingOf;
    uint256 public totalStaked;
    uint256 public totalUnbonding;

    mapping(address => address[]) private approvals;
    mapping(address => uint256) public votesFor;
    mapping(address => uint256) private delegateIndex; // 1-based position in delegateList; 0 = not a delegate
    address[] private delegateList;

    mapping(address => Masternode) public masternodes;
    mapping(address => uint256) private masternodeIndex; // 1-based position in masternodeList (active only)
    address[] private masternodeList;
    uint256 public totalBonded;

    uint256 public burned;
    mapping(bytes32 => bool) public evidenceUsed;

    /// True once `sealGenesis` ran: the bulk genesis functions are closed for ever.
    bool public genesisSealed;

    event Staked(address indexed account, uint256 amount);
    event Unstaked(address indexed account, uint256 amount, uint256 releaseAt);
    event Withdrawn(address indexed account, uint256 amount);
    event DelegateRegistered(address indexed delegate);
    event DelegateUnregistered(address indexed delegate);
    event Voted(address indexed voter, address[] candidates, uint256 weight);
    event MasternodeRegistered(address indexed node, uint256 bond);
    event MasternodeUnbonding(address indexed node, uint256 bond, uint256 unbondingUntil);
    event MasternodeWithdrawn(address indexed node, uint256 amount);
    event Slashed(address indexed offender, bytes32 indexed evidenceId, uint256 amount, bool masternode);
    event SlasherChanged(address indexed slasher);

    error ZeroAmount();
    error InsufficientStake(uint256 staked, uint256 needed);
    error NothingToWithdraw();
    error StillUnbonding(uint256 now_, uint256 releaseAt);
    error AlreadyDelegate(address account);
    error NotDelegate(address account);
    error DelegateStakeTooLow(uint256 staked, uint256 minimum);
    error TooManyApprovals(uint256 count, uint256 maximum);
    error DuplicateApproval(address candidate);
    error MasternodeExists(address node);
    error NotActiveMasternode(address node);
    error NotUnbondingMasternode(address node);
    error NotSlasher(address caller);
    error NotAdmin(address caller);
    error EvidenceUsed(bytes32 evidenceId);
    error NothingToSlash(address offender);
    error ObserverAlreadySet();
    error ZeroAddress();
    error TokenTransferFailed();
    error GenesisClosed();
    error LengthMismatch();

    constructor(
        IERC20 token_,
        address slasher_,
        uint256 masternodeBond_,
        uint256 unbondingPeriod_,
        uint256 maxApprovals_,
        uint256 delegateMinStake_
    ) {
        if (slasher_ == address(0)) revert ZeroAddress();
        if (masternodeBond_ == 0 || maxApprovals_ == 0) revert ZeroAmount();
        token = token_;
        slasher = slasher_;
        masternodeBond = masternodeBond_;
        unbondingPeriod = unbondingPeriod_;
        maxApprovals = maxApprovals_;
        delegateMinStake = delegateMinStake_;
        admin = msg.sender;
    }

    // ------------------------------------------------------------------ wiring

    /// One-time hook (the LIT contract), set by the deployer after both contracts exist.
    function setStakeObserver(IStakeObserver observer) external {
        if (msg.sender != admin) revert NotAdmin(msg.sender);
        if (address(stakeObserver) != address(0)) revert ObserverAlreadySet();
        stakeObserver = observer;
    }

    /// The slasher may hand its role on (e.g. to a new consensus module account).
    function setSlasher(address newSlasher) external {
        if (msg.sender != slasher) revert NotSlasher(msg.sender);
        if (newSlasher == address(0)) revert ZeroAddress();
        slasher = newSlasher;
        emit SlasherChanged(newSlasher);
    }

    // ------------------------------------------------------------------ stake

    function stake(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        _notify(msg.sender);
        _pull(msg.sender, amount);
        stakeOf[msg.sender] += amount;
        totalStaked += amount;
        _addVotes(msg.sender, amount);
        emit Staked(msg.sender, amount);
    }

    /// Move `amount` from stake to unbonding. A later unstake adds to the same unbonding balance and restarts
    /// its clock (one entry per account keeps the state bounded).
    function unstake(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        uint256 staked = stakeOf[msg.sender];
        if (staked < amount) revert InsufficientStake(staked, amount);
        if (delegateIndex[msg.sender] != 0 && staked - amount < delegateMinStake) {
            revert DelegateStakeTooLow(staked - amount, delegateMinStake);
        }
        _notify(msg.sender);
        stakeOf[msg.sender] = staked - amount;
        totalStaked -= amount;
        _subVotes(msg.sender, amount);
        Unbonding storage entry = unbondingOf[msg.sender];
        entry.amount += amount;
        entry.releaseAt = uint64(block.timestamp + unbondingPeriod);
        totalUnbonding += amount;
        emit Unstaked(msg.sender, amount, entry.releaseAt);
    }

    function withdraw() external {
        Unbonding memory entry = unbondingOf[msg.sender];
        if (entry.amount == 0) revert NothingToWithdraw();
        if (block.timestamp < entry.releaseAt) revert StillUnbonding(block.timestamp, entry.releaseAt);
        delete unbondingOf[msg.sender];
        totalUnbonding -= entry.amount;
        _push(msg.sender, entry.amount);
        emit Withdrawn(msg.sender, entry.amount);
    }

    // ------------------------------------------------------------------ delegates and votes

    function registerDelegate() external {
        _registerDelegate(msg.sender);
    }

    /// Votes already cast for the delegate stay recorded (and come back if it registers again), but the
    /// delegate is no longer listed and cannot receive new approvals.
    function unregisterDelegate() external {
        if (delegateIndex[msg.sender] == 0) revert NotDelegate(msg.sender);
        _removeDelegate(msg.sender);
    }

    /// Replace the caller's approval list. An empty list withdraws all approvals.
    function vote(address[] calldata candidates) external {
        uint256 weight = _setApprovals(msg.sender, candidates);
        emit Voted(msg.sender, candidates, weight);
    }

    // ------------------------------------------------------------------ masternodes

    function registerMasternode() external {
        _addMasternode(msg.sender);
        _pull(msg.sender, masternodeBond);
    }

    function unbondMasternode() external {
        Masternode storage node = masternodes[msg.sender];
        if (node.status != MasternodeStatus.Active) revert NotActiveMasternode(msg.sender);
        _startMasternodeUnbonding(msg.sender, node);
    }

    function withdrawMasternode() external {
        Masternode memory node = masternodes[msg.sender];
        if (node.status != MasternodeStatus.Unbonding) revert NotUnbondingMasternode(msg.sender);
        if (block.timestamp < node.unbondingUntil) revert StillUnbonding(block.timestamp, node.unbondingUntil);
        delete masternodes[msg.sender];
        totalBonded -= node.bond;
        if (node.bond != 0) _push(msg.sender, node.bond);
        emit MasternodeWithdrawn(msg.sender, node.bond);
    }

    // ------------------------------------------------------------------ genesis (admin, before sealGenesis)

    /// Stake `amounts[i]` for `accounts[i]` (added to any stake it has), paid by the admin in one transfer. The stake
    /// observer is not told: LIT counts an account it never settled as settled at its own deployment with nothing,
    /// which is exact for stake written in the block LIT was deployed in (the chain's genesis block).
    function genesisStake(address[] calldata accounts, uint256[] calldata amounts) external {
        _onlyGenesis();
        if (accounts.length != amounts.length) revert LengthMismatch();
        uint256 total = 0;
        for (uint256 i = 0; i < accounts.length; i++) {
            address account = accounts[i];
            uint256 amount = amounts[i];
            if (amount == 0) continue;
            stakeOf[account] += amount;
            total += amount;
            _addVotes(account, amount);
        }
        totalStaked += total;
        if (total != 0) _pull(msg.sender, total);
    }

    /// Register `accounts` as delegates, with `registerDelegate`'s checks.
    function genesisDelegates(address[] calldata accounts) external {
        _onlyGenesis();
        for (uint256 i = 0; i < accounts.length; i++) _registerDelegate(accounts[i]);
    }

    /// Cast approvals for `voters`: voter i approves the next `counts[i]` entries of `candidates` (a flat list, so
    /// the call needs no nested arrays), with `vote`'s checks.
    function genesisVotes(address[] calldata voters, address[] calldata candidates, uint256[] calldata counts) external {
        _onlyGenesis();
        if (voters.length != counts.length) revert LengthMismatch();
        uint256 at = 0;
        for (uint256 i = 0; i < voters.length; i++) {
            uint256 end = at + counts[i];
            if (end > candidates.length) revert LengthMismatch();
            _setApprovals(voters[i], candidates[at:end]);
            at = end;
        }
        if (at != candidates.length) revert LengthMismatch();
    }

    /// Bond `nodes` as active masternodes, the bonds paid by the admin in one transfer.
    function genesisMasternodes(address[] calldata nodes) external {
        _onlyGenesis();
        for (uint256 i = 0; i < nodes.length; i++) _addMasternode(nodes[i]);
        uint256 total = masternodeBond * nodes.length;
        if (total != 0) _pull(msg.sender, total);
    }

    /// Close the genesis functions for ever.
    function sealGenesis() external {
        _onlyGenesis();
        genesisSealed = true;
    }

    // ------------------------------------------------------------------ slashing

    /// Burn up to `amount` of a masternode's bond (active or unbonding). An active masternode whose bond falls
    /// below `masternodeBond` is removed from the active set and starts unbonding what is left.
    function slashMasternode(address node, uint256 amount, bytes32 evidenceId) external returns (uint256 slashed) {
        _useEvidence(evidenceId);
        Masternode storage entry = masternodes[node];
        if (entry.status == MasternodeStatus.None || entry.bond == 0) revert NothingToSlash(node);
        slashed = amount < entry.bond ? amount : entry.bond;
        entry.bond -= slashed;
        totalBonded -= slashed;
        if (entry.status == MasternodeStatus.Active && entry.bond < masternodeBond) {
            _startMasternodeUnbonding(node, entry);
        }
        _burn(slashed);
        emit Slashed(node, evidenceId, slashed, true);
    }

    /// Burn up to `amount` of an account's stake, then of its unbonding balance. A delegate left below
    /// `delegateMinStake` is unregistered.
    function slashStake(address account, uint256 amount, bytes32 evidenceId) external returns (uint256 slashed) {
        _useEvidence(evidenceId);
        uint256 staked = stakeOf[account];
        uint256 pending = unbondingOf[account].amount;
        if (staked + pending == 0) revert NothingToSlash(account);
        _notify(account);
        uint256 fromStake = amount < staked ? amount : staked;
        uint256 rest = amount - fromStake;
        uint256 fromUnbonding = rest < pending ? rest : pending;
        if (fromStake != 0) {
            stakeOf[account] = staked - fromStake;
            totalStaked -= fromStake;
            _subVotes(account, fromStake);
        }
        if (fromUnbonding != 0) {
            unbondingOf[account].amount = pending - fromUnbonding;
            totalUnbonding -= fromUnbonding;
        }
        if (delegateIndex[account] != 0 && stakeOf[account] < delegateMinStake) _removeDelegate(account);
        slashed = fromStake + fromUnbonding;
        _burn(slashed);
        emit Slashed(account, evidenceId, slashed, false);
    }

    // ------------------------------------------------------------------ views

    function delegates() external view returns (address[] memory) {
        return delegateList;
    }

    /// Registered delegates and their approval-vote totals, in registration order (swap-and-pop on removal).
    function delegateVotes() external view returns (address[] memory list, uint256[] memory votes) {
        list = delegateList;
        votes = new uint256[](list.length);
        for (uint256 i = 0; i < list.length; i++) {
            votes[i] = votesFor[list[i]];
        }
    }

    function isDelegate(address account) external view returns (bool) {
        return delegateIndex[account] != 0;
    }

    function approvalsOf(address voter) external view returns (address[] memory) {
        return approvals[voter];
    }

    /// Active masternodes (unbonding ones are not listed).
    function activeMasternodes() external view returns (address[] memory) {
        return masternodeList;
    }

    function isActiveMasternode(address node) external view returns (bool) {
        return masternodes[node].status == MasternodeStatus.Active;
    }

    // ------------------------------------------------------------------ internals

    function _onlyGenesis() private view {
        if (msg.sender != admin) revert NotAdmin(msg.sender);
        if (genesisSealed) revert GenesisClosed();
    }

    function _registerDelegate(address account) private {
        if (delegateIndex[account] != 0) revert AlreadyDelegate(account);
        uint256 staked = stakeOf[account];
        if (staked < delegateMinStake) revert DelegateStakeTooLow(staked, delegateMinStake);
        delegateList.push(account);
        delegateIndex[account] = delegateList.length;
        emit DelegateRegistered(account);
    }

    /// Returns the voter's weight (its stake).
    function _setApprovals(address voter, address[] calldata candidates) private returns (uint256 weight) {
        uint256 count = candidates.length;
        if (count > maxApprovals) revert TooManyApprovals(count, maxApprovals);
        for (uint256 i = 0; i < count; i++) {
            address candidate = candidates[i];
            if (delegateIndex[candidate] == 0) revert NotDelegate(candidate);
            for (uint256 j = 0; j < i; j++) {
                if (candidates[j] == candidate) revert DuplicateApproval(candidate);
            }
        }
        weight = stakeOf[voter];
        _subVotes(voter, weight);
        approvals[voter] = candidates;
        // From calldata, not by re-reading the list just stored (saves one storage read per candidate).
        if (weight != 0) {
            for (uint256 i = 0; i < count; i++) {
                votesFor[candidates[i]] += weight;
            }
        }
    }

    /// Records an active masternode with a full bond; the caller pulls the tokens (checks before effects before
    /// the external transfer).
    function _addMasternode(address node) private {
        if (masternodes[node].status != MasternodeStatus.None) revert MasternodeExists(node);
        masternodes[node] = Masternode({bond: masternodeBond, unbondingUntil: 0, status: MasternodeStatus.Active});
        masternodeList.push(node);
        masternodeIndex[node] = masternodeList.length;
        totalBonded += masternodeBond;
        emit MasternodeRegistered(node, masternodeBond);
    }

    function _addVotes(address voter, uint256 weight) private {
        if (weight == 0) return;
        address[] storage list = approvals[voter];
        uint256 n = list.length;
        for (uint256 i = 0; i < n; i++) {
            votesFor[list[i]] += weight;
        }
    }

    function _subVotes(address voter, uint256 weight) private {
        if (weight == 0) return;
        address[] storage list = approvals[voter];
        uint256 n = list.length;
        for (uint256 i = 0; i < n; i++) {
            votesFor[list[i]] -= weight;
        }
    }

    function _removeDelegate(address account) private {
        uint256 index = delegateIndex[account];
        uint256 last = delegateList.length;
        if (index != last) {
            address moved = delegateList[last - 1];
            delegateList[index - 1] = moved;
            delegateIndex[moved] = index;
        }
        delegateList.pop();
        delete delegateIndex[account];
        emit DelegateUnregistered(account);
    }

    function _startMasternodeUnbonding(address nodeAddress, Masternode storage node) private {
        node.status = MasternodeStatus.Unbonding;
        node.unbondingUntil = uint64(block.timestamp + unbondingPeriod);
        uint256 index = masternodeIndex[nodeAddress];
        uint256 last = masternodeList.length;
        if (index != last) {
            address moved = masternodeList[last - 1];
            masternodeList[index - 1] = moved;
            masternodeIndex[moved] = index;
        }
        masternodeList.pop();
        delete masternodeIndex[nodeAddress];
        emit MasternodeUnbonding(nodeAddress, node.bond, node.unbondingUntil);
    }

    function _useEvidence(bytes32 evidenceId) private {
        if (msg.sender != slasher) revert NotSlasher(msg.sender);
        if (evidenceUsed[evidenceId]) revert EvidenceUsed(evidenceId);
        evidenceUsed[evidenceId] = true;
    }

    function _burn(uint256 amount) private {
        burned += amount;
        if (amount != 0) _push(BURN_ADDRESS, amount);
    }

    function _notify(address account) private {
        IStakeObserver observer = stakeObserver;
        if (address(observer) != address(0)) observer.onStakeChange(account);
    }

    function _pull(address from, uint256 value) private {
        if (!token.transferFrom(from, address(this), value)) revert TokenTransferFailed();
    }

    function _push(address to, uint256 value) private {
        if (!token.transfer(to, value)) revert TokenTransferFailed();
    }
}
