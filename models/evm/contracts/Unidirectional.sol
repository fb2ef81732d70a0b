// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "./IERC20.sol";

/// @title Unidirectional: ERC-20 one-way payment channels (Machinomy's interface, Solidity 0.8).
/// @notice A sender escrows POP for one receiver. Off chain, the sender signs *cumulative* vouchers
///         ("I owe you `payment` in total on channel `id`"); the receiver keeps only the highest and redeems it
///         once with `claim`, which closes the channel. If the receiver disappears, the sender calls
///         `startSettling`, waits `settlingPeriod` blocks and calls `settle` to take everything back; the
///         receiver can still `claim` during that window (that is its defence, so it must watch for
///         DidStartSettling).
///
///         States: Absent → Open → (Settling) → Absent. Open → Absent directly on claim.
///
/// @dev Channel ids MUST be unique random 32-byte values (popsim derives them from a seeded stream). An id
///      cannot be reused while the channel exists (`open` reverts), but after the channel is deleted by claim
///      or settle the id is free again: a sender who reuses an id with the same receiver makes old vouchers
///      valid for the new channel. Random ids make that collision negligible. A third party can also front-run
///      `open` with someone else's id (griefing only: it locks the attacker's own tokens); the victim retries
///      with a fresh id.
///
///      Differences from Machinomy's TokenUnidirectional, each deliberate:
///      - The voucher digest includes `block.chainid`, so a voucher cannot be replayed on another chain where
///        the same contract address exists (same deployer and nonce on a testnet and on PVM, or a fork).
///        It also includes `address(this)`, so it cannot be replayed against another channel contract.
///      - `minSettlingPeriod` (constructor parameter): a sender choosing a tiny settling period could
///        start settling and settle before a slow receiver notices, stealing the served value back. Machinomy
///        left that check to the receiver's client; enforcing it on chain protects receivers that forget.
///      - Signatures must have low s (EIP-2) and v ∈ {27, 28}: one valid encoding per voucher.
///      - Token, not ether, and fields are packed into three storage slots (block numbers fit in 64 bits).
contract Unidirectional {
    struct PaymentChannel {
        address sender; //          slot 0
        uint64 settlingUntil; //    slot 0: block number after which `settle` is allowed; 0 = not settling
        address receiver; //        slot 1
        uint64 settlingPeriod; //   slot 1: in blocks
        uint256 value; //           slot 2: tokens escrowed
    }

    /// secp256k1 group order / 2: signatures with a larger s are the malleable twin of a valid one.
    uint256 private constant SECP256K1_N_HALF = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;
    /// Longest settling period accepted, in blocks: keeps `block.number + settlingPeriod` far from 2^64.
    uint256 public constant MAX_SETTLING_PERIOD = 2 ** 40;

    IERC20 public immutable token;
    /// Shortest settling period (blocks) a channel may be opened with. See the contract notes.
    uint256 public immutable minSettlingPeriod;

    mapping(bytes32 => PaymentChannel) public channels;

    event DidOpen(bytes32 indexed channelId, address indexed sender, address indexed receiver, uint256 value);
    event DidDeposit(bytes32 indexed channelId, uint256 deposit);
    event DidClaim(bytes32 indexed channelId, uint256 toReceiver, uint256 toSender);
    event DidStartSettling(bytes32 indexed channelId, uint256 settlingUntil);
    event DidSettle(bytes32 indexed channelId, uint256 toSender);

    error ChannelExists(bytes32 channelId);
    error ChannelAbsent(bytes32 channelId);
    error ChannelSettling(bytes32 channelId);
    error ChannelNotSettling(bytes32 channelId);
    error ZeroReceiver();
    error SettlingPeriodTooShort(uint256 settlingPeriod, uint256 minSettlingPeriod);
    error SettlingPeriodTooLong(uint256 settlingPeriod, uint256 maxSettlingPeriod);
    error NotSender(bytes32 channelId, address caller);
    error NotReceiver(bytes32 channelId, address caller);
    error BadSignature(bytes32 channelId);
    error SettlingNotOver(bytes32 channelId, uint256 blockNumber, uint256 settlingUntil);
    error TokenTransferFailed();

    constructor(IERC20 token_, uint256 minSettlingPeriod_) {
        if (minSettlingPeriod_ > MAX_SETTLING_PERIOD) {
            revert SettlingPeriodTooLong(minSettlingPeriod_, MAX_SETTLING_PERIOD);
        }
        token = token_;
        minSettlingPeriod = minSettlingPeriod_;
    }

    // ------------------------------------------------------------------ lifecycle

    /// Open channel `channelId` from msg.sender to `receiver`, escrowing `value` tokens (needs an allowance).
    function open(bytes32 channelId, address receiver, uint256 settlingPeriod, uint256 value) external {
        if (isPresent(channelId)) revert ChannelExists(channelId);
        if (receiver == address(0)) revert ZeroReceiver();
        if (settlingPeriod < minSettlingPeriod) revert SettlingPeriodTooShort(settlingPeriod, minSettlingPeriod);
        if (settlingPeriod > MAX_SETTLING_PERIOD) revert SettlingPeriodTooLong(settlingPeriod, MAX_SETTLING_PERIOD);
        channels[channelId] = PaymentChannel({
            sender: msg.sender,
            settlingUntil: 0,
            receiver: receiver,
            settlingPeriod: uint64(settlingPeriod),
            value: value
        });
        _pull(msg.sender, value);
        emit DidOpen(channelId, msg.sender, receiver, value);
    }

    /// Add `value` tokens to an open channel. Sender only; not while settling (the sender is leaving).
    function deposit(bytes32 channelId, uint256 value) external {
        PaymentChannel storage channel = channels[channelId];
        _requireOpen(channelId, channel);
        if (channel.sender != msg.sender) revert NotSender(channelId, msg.sender);
        channel.value += value;
        _pull(msg.sender, value);
        emit DidDeposit(channelId, value);
    }

    /// Receiver redeems the sender-signed cumulative voucher for `payment` and closes the channel. Allowed
    /// while settling. The receiver gets min(payment, value); the sender gets the rest.
    function claim(bytes32 channelId, uint256 payment, bytes calldata signature) external {
        PaymentChannel memory channel = channels[channelId];
        if (channel.sender == address(0)) revert ChannelAbsent(channelId);
        if (channel.receiver != msg.sender) revert NotReceiver(channelId, msg.sender);
        if (_recover(recoveryPaymentDigest(channelId, payment), signature) != channel.sender) {
            revert BadSignature(channelId);
        }
        uint256 toReceiver = payment < channel.value ? payment : channel.value;
        uint256 toSender;
        unchecked {
            toSender = channel.value - toReceiver;
        }
        // Effects before interactions: the channel is gone before any token moves.
        delete channels[channelId];
        if (toReceiver != 0) _push(channel.receiver, toReceiver);
        if (toSender != 0) _push(channel.sender, toSender);
        emit DidClaim(channelId, toReceiver, toSender);
    }

    /// Sender announces it wants its tokens back; `settle` becomes possible `settlingPeriod` blocks later.
    function startSettling(bytes32 channelId) external {
        PaymentChannel storage channel = channels[channelId];
        _requireOpen(channelId, channel);
        if (channel.sender != msg.sender) revert NotSender(channelId, msg.sender);
        uint256 until = block.number + channel.settlingPeriod;
        channel.settlingUntil = uint64(until);
        emit DidStartSettling(channelId, until);
    }

    /// Anyone may settle once the settling period is over: everything goes back to the sender.
    function settle(bytes32 channelId) external {
        PaymentChannel memory channel = channels[channelId];
        if (channel.sender == address(0)) revert ChannelAbsent(channelId);
        if (channel.settlingUntil == 0) revert ChannelNotSettling(channelId);
        if (block.number < channel.settlingUntil) {
            revert SettlingNotOver(channelId, block.number, channel.settlingUntil);
        }
        delete channels[channelId];
        if (channel.value != 0) _push(channel.sender, channel.value);
        emit DidSettle(channelId, channel.value);
    }

    // ------------------------------------------------------------------ predicates (Machinomy's can*)

    function canOpen(bytes32 channelId, address origin, address receiver, uint256 settlingPeriod, uint256 value)
        external
        view
        returns (bool)
    {
        return !isPresent(channelId) && receiver != address(0) && settlingPeriod >= minSettlingPeriod
            && settlingPeriod <= MAX_SETTLING_PERIOD && _canPull(origin, value);
    }

    function canDeposit(bytes32 channelId, address origin) external view returns (bool) {
        return isOpen(channelId) && channels[channelId].sender == origin;
    }

    function canClaim(bytes32 channelId, uint256 payment, address origin, bytes calldata signature)
        external
        view
        returns (bool)
    {
        PaymentChannel storage channel = channels[channelId];
        return channel.sender != address(0) && channel.receiver == origin
            && _recover(recoveryPaymentDigest(channelId, payment), signature) == channel.sender;
    }

    function canStartSettling(bytes32 channelId, address origin) external view returns (bool) {
        return isOpen(channelId) && channels[channelId].sender == origin;
    }

    function canSettle(bytes32 channelId) external view returns (bool) {
        PaymentChannel storage channel = channels[channelId];
        return channel.settlingUntil != 0 && block.number >= channel.settlingUntil;
    }

    function isPresent(bytes32 channelId) public view returns (bool) {
        return channels[channelId].sender != address(0);
    }

    function isAbsent(bytes32 channelId) external view returns (bool) {
        return channels[channelId].sender == address(0);
    }

    function isSettling(bytes32 channelId) public view returns (bool) {
        return channels[channelId].settlingUntil != 0;
    }

    function isOpen(bytes32 channelId) public view returns (bool) {
        PaymentChannel storage channel = channels[channelId];
        return channel.sender != address(0) && channel.settlingUntil == 0;
    }

    // ------------------------------------------------------------------ vouchers

    /// What the sender signs (before the eth-signed-message prefix): binds contract, chain, channel, total.
    function paymentDigest(bytes32 channelId, uint256 payment) public view returns (bytes32) {
        return keccak256(abi.encodePacked(address(this), block.chainid, channelId, payment));
    }

    /// The hash ecrecover checks: wallets sign 32-byte digests as "\x19Ethereum Signed Message:\n32" ‖ digest,
    /// so a voucher signature can never be mistaken for a transaction signature.
    function recoveryPaymentDigest(bytes32 channelId, uint256 payment) public view returns (bytes32) {
        return keccak256(abi.encodePacked("\x19Ethereum Signed Message:\n32", paymentDigest(channelId, payment)));
    }

    // ------------------------------------------------------------------ internals

    function _requireOpen(bytes32 channelId, PaymentChannel storage channel) private view {
        if (channel.sender == address(0)) revert ChannelAbsent(channelId);
        if (channel.settlingUntil != 0) revert ChannelSettling(channelId);
    }

    /// r ‖ s ‖ v (65 bytes), v ∈ {27, 28}, low s. Returns address(0) for anything malformed.
    function _recover(bytes32 digest, bytes calldata signature) private pure returns (address) {
        if (signature.length != 65) return address(0);
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        if (v != 27 && v != 28) return address(0);
        if (uint256(s) > SECP256K1_N_HALF) return address(0);
        return ecrecover(digest, v, r, s);
    }

    function _canPull(address from, uint256 value) private view returns (bool) {
        return token.allowance(from, address(this)) >= value && token.balanceOf(from) >= value;
    }

    function _pull(address from, uint256 value) private {
        if (value != 0 && !token.transferFrom(from, address(this), value)) revert TokenTransferFailed();
    }

    function _push(address to, uint256 value) private {
        if (!token.transfer(to, value)) revert TokenTransferFailed();
    }
}
