// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "./IERC20.sol";

/// @title TicketBroker: probabilistic micropayments in POP (after Livepeer's TicketBroker, popsim's own code).
/// @notice A sender locks a *deposit* and a *reserve* once. Off chain it pays for work with lottery tickets: a
///         ticket promises `faceValue` with probability `winProb / 2^256`, so its expected value is
///         EV = faceValue · winProb / 2^256. Only winning tickets come on chain: the recipient redeems them
///         (`redeemWinningTicket`, or many at once with `batchRedeemWinningTickets`) and is paid from the deposit;
///         if the deposit is short (the sender over-issued), the rest comes from the reserve, of which each
///         recipient may draw at most a `1 / reserveShares` share. One deposit serves any number of recipients,
///         and on-chain transactions are ~1/winProb fewer than payments (DOMAIN.md §b "Alternative").
///
///         Ticket fields: {recipient, sender, faceValue, winProb, senderNonce, recipientRandHash, expirationBlock}.
///         ticketHash = keccak256(contract ‖ chainid ‖ the fields, packed); the sender signs it with the
///         eth-signed-message prefix (like a Unidirectional voucher).
///
///         Leaving: `unlock()` starts an unlock period of `unlockPeriod` blocks; `withdraw()` after it returns
///         deposit and reserve. Tickets stay redeemable during the period (the recipients' window, like a channel's
///         settling period), so a recipient that watches for `Unlock` and redeems in time loses nothing. Funding
///         cancels an unlock in progress (`cancelUnlock` does too).
///
/// @dev The win condition — a deliberate variant of Livepeer's. Livepeer draws the lottery from the signature:
///      win iff uint256(keccak256(sig ‖ recipientRand)) < winProb. This contract draws it from the ticket's identity:
///
///          win iff uint256(keccak256(recipientRand ‖ sender ‖ recipient ‖ senderNonce)) < winProb
///
///      (abi.encodePacked: 32 + 20 + 20 + 32 = 104 bytes, one keccak block).
///      Why: a recipient learns whether a ticket won *without its signature or its hash*, so signatures matter only
///      for winning tickets — the sender's client signs every ticket in reality, but the recipient verifies only
///      winners, and a simulator can compute a ticket's signature only when the ticket wins (signatures are
///      deterministic, RFC 6979, so signing lazily gives bit-identical results). Checking a ticket costs one
///      keccak-f permutation instead of an ECDSA recovery — what lets popsim draw millions of tickets a run.
///      Why it stays unbiased: it is a commit–reveal coin flip. The recipient commits to `recipientRand` (gives
///      the sender only its hash) *before* the sender picks the ticket; the sender cannot predict the draw because
///      it does not know `recipientRand`; the recipient cannot steer it because `recipientRand` is fixed and the
///      sender's `senderNonce` must be unpredictable to it (popsim's senders draw it at random — with a plain
///      counter, a recipient could grind `recipientRand` so that predictable future tickets win; Livepeer's
///      signature-based draw is immune to that because the recipient cannot compute signatures). The value
///      fields (faceValue, winProb, expiry) are not in the draw but in the signed hash, so they cannot be changed
///      after the fact; a recipient accepts each senderNonce once per rand (two tickets with one nonce would share
///      one draw). Redeeming a ticket reveals `recipientRand`; from then on the sender could choose losing
///      nonces, so a recipient uses a fresh rand (a new hash) for new tickets after every win. Ticket hashes are
///      single-use (`usedTickets`).
///
///      Other differences from Livepeer, each deliberate:
///      - `expirationBlock` replaces Livepeer's (creationRound, creationRoundBlockHash) auxData: popsim has no
///        rounds; an expiry bounds how long a recipient may sit on a winning ticket.
///      - The hash includes `address(this)` and `block.chainid`: a ticket is valid on one broker on one chain.
///      - The reserve allocation per recipient is reserve / `reserveShares` (a constructor parameter), instead of
///        reserve / (active transcoders in the round): POP recipients are any node, not a bonded set.
///      - Signatures must have low s (EIP-2) and v ∈ {27, 28}, as in Unidirectional.
///      - Anyone may redeem a winning ticket; the money always goes to `ticket.recipient`.
contract TicketBroker {
    struct Ticket {
        address recipient;
        address sender;
        uint256 faceValue; //        token wei paid if the ticket wins
        uint256 winProb; //          win iff keccak256(recipientRand ‖ sender ‖ recipient ‖ senderNonce) < winProb
        uint256 senderNonce; //      unpredictable to the recipient (see the contract notes)
        bytes32 recipientRandHash; // keccak256(abi.encodePacked(recipientRand))
        uint256 expirationBlock; //  last block in which the ticket may be redeemed
    }

    struct Sender {
        uint128 deposit; //         slot 0
        uint128 reserve; //         slot 0
        uint64 withdrawBlock; //    slot 1: 0 = locked (no unlock in progress); else withdraw allowed from this block
        uint64 reserveEpoch; //     slot 1: bumped on withdraw, so old per-recipient reserve claims are forgotten
        uint128 reserveClaimed; //  slot 1: drawn from the reserve in this epoch (all recipients)
    }

    /// secp256k1 group order / 2: signatures with a larger s are the malleable twin of a valid one.
    uint256 private constant SECP256K1_N_HALF = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;
    /// Longest unlock period accepted, in blocks: keeps `block.number + unlockPeriod` far from 2^64.
    uint256 public constant MAX_UNLOCK_PERIOD = 2 ** 40;

    IERC20 public immutable token;
    /// Blocks between `unlock` and the first block `withdraw` is allowed: the recipients' redemption window.
    uint256 public immutable unlockPeriod;
    /// A recipient may draw at most (reserve + already drawn) / reserveShares from one sender's reserve.
    uint256 public immutable reserveShares;

    mapping(address => Sender) public senders;
    mapping(bytes32 => bool) public usedTickets;
    /// sender → reserve epoch → recipient → drawn from that sender's reserve.
    mapping(address => mapping(uint256 => mapping(address => uint256))) public claimedReserve;

    event DepositFunded(address indexed sender, uint256 amount);
    event ReserveFunded(address indexed sender, uint256 amount);
    event WinningTicketRedeemed(
        bytes32 indexed ticketHash,
        address indexed sender,
        address indexed recipient,
        uint256 faceValue,
        uint256 fromDeposit,
        uint256 fromReserve
    );
    /// A ticket of a batch that was not redeemed, with the selector of the error `redeemWinningTicket` gave.
    event TicketSkipped(bytes32 indexed ticketHash, bytes4 reason);
    event Unlock(address indexed sender, uint256 startBlock, uint256 withdrawBlock);
    event UnlockCancelled(address indexed sender);
    event Withdrawal(address indexed sender, uint256 deposit, uint256 reserve);

    error BadParameters();
    error AmountTooLarge(uint256 amount);
    error LengthMismatch();
    error ZeroRecipient();
    error ZeroSender();
    error TicketExpired(bytes32 ticketHash, uint256 expirationBlock, uint256 blockNumber);
    error BadRecipientRand(bytes32 ticketHash);
    error TicketUsed(bytes32 ticketHash);
    error BadSignature(bytes32 ticketHash);
    error NotWinning(bytes32 ticketHash);
    error SenderUnlocked(address sender);
    error SenderHasNoFunds(address sender);
    error NothingToUnlock(address sender);
    error UnlockInProgress(address sender);
    error NotUnlocking(address sender);
    error UnlockNotOver(address sender, uint256 blockNumber, uint256 withdrawBlock);
    error TokenTransferFailed();

    constructor(IERC20 token_, uint256 unlockPeriod_, uint256 reserveShares_) {
        if (address(token_) == address(0) || unlockPeriod_ > MAX_UNLOCK_PERIOD || reserveShares_ == 0) {
            revert BadParameters();
        }
        token = token_;
        unlockPeriod = unlockPeriod_;
        reserveShares = reserveShares_;
    }

    // ------------------------------------------------------------------ funding

    function fundDeposit(uint256 amount) external {
        _fund(amount, 0);
    }

    function fundReserve(uint256 amount) external {
        _fund(0, amount);
    }

    /// Add to both in one transaction (a sender's usual first and only funding). Needs an allowance.
    function fundDepositAndReserve(uint256 depositAmount, uint256 reserveAmount) external {
        _fund(depositAmount, reserveAmount);
    }

    /// Fund other senders' deposits and reserves with the caller's tokens, in one transaction (a wallet provider
    /// onboarding users, or popsim's genesis writing viewers' pre-run deposits in bulk: 200 senders per call instead
    /// of two transactions each). Unlike self-funding it does not cancel an unlock in progress — otherwise anyone
    /// could keep a sender from leaving by funding it 1 wei.
    function fundBatchFor(address[] calldata senders_, uint256[] calldata deposits, uint256[] calldata reserves) external {
        if (senders_.length != deposits.length || senders_.length != reserves.length) revert LengthMismatch();
        uint256 total = 0;
        for (uint256 i = 0; i < senders_.length; i++) {
            address who = senders_[i];
            if (who == address(0)) revert ZeroSender();
            Sender storage s = senders[who];
            s.deposit = _u128(uint256(s.deposit) + deposits[i]);
            s.reserve = _u128(uint256(s.reserve) + reserves[i]);
            total += deposits[i] + reserves[i];
            if (deposits[i] != 0) emit DepositFunded(who, deposits[i]);
            if (reserves[i] != 0) emit ReserveFunded(who, reserves[i]);
        }
        _pull(msg.sender, total);
    }

    // ------------------------------------------------------------------ leaving

    /// Start the unlock period; `withdraw` is possible `unlockPeriod` blocks later. Tickets stay redeemable until then.
    function unlock() external {
        Sender storage s = senders[msg.sender];
        if (s.deposit == 0 && s.reserve == 0) revert NothingToUnlock(msg.sender);
        if (s.withdrawBlock != 0) revert UnlockInProgress(msg.sender);
        uint256 withdrawBlock = block.number + unlockPeriod;
        s.withdrawBlock = uint64(withdrawBlock);
        emit Unlock(msg.sender, block.number, withdrawBlock);
    }

    function cancelUnlock() external {
        Sender storage s = senders[msg.sender];
        if (s.withdrawBlock == 0) revert NotUnlocking(msg.sender);
        s.withdrawBlock = 0;
        emit UnlockCancelled(msg.sender);
    }

    /// After the unlock period: everything left in deposit and reserve goes back to the sender.
    function withdraw() external {
        Sender storage s = senders[msg.sender];
        if (s.withdrawBlock == 0) revert NotUnlocking(msg.sender);
        if (block.number < s.withdrawBlock) revert UnlockNotOver(msg.sender, block.number, s.withdrawBlock);
        uint256 deposit = s.deposit;
        uint256 reserve = s.reserve;
        s.deposit = 0;
        s.reserve = 0;
        s.withdrawBlock = 0;
        s.reserveEpoch += 1;
        s.reserveClaimed = 0;
        if (deposit + reserve != 0) _push(msg.sender, deposit + reserve);
        emit Withdrawal(msg.sender, deposit, reserve);
    }

    // ------------------------------------------------------------------ redemption

    /// Redeem one winning ticket; pays `ticket.recipient` and returns the amount paid (≤ faceValue: a sender
    /// short of deposit and reserve allocation pays what it can).
    function redeemWinningTicket(Ticket calldata ticket, bytes calldata signature, uint256 recipientRand)
        public
        returns (uint256 paid)
    {
        bytes32 ticketHash = getTicketHash(ticket);
        _requireValidWinningTicket(ticket, ticketHash, signature, recipientRand);
        Sender storage s = senders[ticket.sender];
        if (!_isLocked(s)) revert SenderUnlocked(ticket.sender);
        if (s.deposit == 0 && s.reserve == 0) revert SenderHasNoFunds(ticket.sender);
        usedTickets[ticketHash] = true;

        uint256 fromDeposit = ticket.faceValue < s.deposit ? ticket.faceValue : s.deposit;
        uint256 fromReserve = 0;
        unchecked {
            s.deposit -= uint128(fromDeposit); // fromDeposit ≤ deposit
            uint256 shortfall = ticket.faceValue - fromDeposit;
            if (shortfall != 0 && s.reserve != 0) {
                uint256 drawn = claimedReserve[ticket.sender][s.reserveEpoch][ticket.recipient];
                uint256 allocation = (uint256(s.reserve) + s.reserveClaimed) / reserveShares;
                uint256 left = allocation > drawn ? allocation - drawn : 0;
                fromReserve = shortfall < left ? shortfall : left;
                if (fromReserve > s.reserve) fromReserve = s.reserve;
                if (fromReserve != 0) {
                    s.reserve -= uint128(fromReserve);
                    s.reserveClaimed += uint128(fromReserve);
                    claimedReserve[ticket.sender][s.reserveEpoch][ticket.recipient] = drawn + fromReserve;
                }
            }
            paid = fromDeposit + fromReserve;
        }
        if (paid != 0) _push(ticket.recipient, paid);
        emit WinningTicketRedeemed(ticketHash, ticket.sender, ticket.recipient, ticket.faceValue, fromDeposit, fromReserve);
    }

    /// Redeem many winning tickets in one transaction (a recipient's batch). A ticket that fails is skipped with a
    /// TicketSkipped event carrying the error's selector; the others are redeemed. Returns how many were redeemed
    /// and the total paid.
    function batchRedeemWinningTickets(
        Ticket[] calldata tickets,
        bytes[] calldata signatures,
        uint256[] calldata recipientRands
    ) external returns (uint256 redeemed, uint256 paidTotal) {
        if (tickets.length != signatures.length || tickets.length != recipientRands.length) revert LengthMismatch();
        for (uint256 i = 0; i < tickets.length; i++) {
            // An external self-call, so a failing ticket reverts only its own effects.
            try this.redeemWinningTicket(tickets[i], signatures[i], recipientRands[i]) returns (uint256 paid) {
                redeemed++;
                paidTotal += paid;
            } catch (bytes memory reason) {
                bytes4 selector;
                if (reason.length >= 4) {
                    assembly {
                        selector := mload(add(reason, 32))
                    }
                }
                emit TicketSkipped(getTicketHash(tickets[i]), selector);
            }
        }
    }

    // ------------------------------------------------------------------ views

    /// What the sender signs (before the eth-signed-message prefix): binds broker, chain and every ticket field.
    function getTicketHash(Ticket calldata t) public view returns (bytes32) {
        return keccak256(
            abi.encodePacked(
                address(this),
                block.chainid,
                t.recipient,
                t.sender,
                t.faceValue,
                t.winProb,
                t.senderNonce,
                t.recipientRandHash,
                t.expirationBlock
            )
        );
    }

    /// The lottery: see the contract notes for why it is drawn from the ticket's identity, not its signature.
    function isWinningTicket(uint256 recipientRand, address sender, address recipient, uint256 senderNonce, uint256 winProb)
        public
        pure
        returns (bool)
    {
        return uint256(keccak256(abi.encodePacked(recipientRand, sender, recipient, senderNonce))) < winProb;
    }

    /// True while tickets of `sender` are redeemable: no unlock in progress, or its period not over.
    function isLocked(address sender) external view returns (bool) {
        return _isLocked(senders[sender]);
    }

    /// What `recipient` may still draw from `sender`'s reserve.
    function reserveAllocationLeft(address sender, address recipient) external view returns (uint256) {
        Sender storage s = senders[sender];
        uint256 allocation = (uint256(s.reserve) + s.reserveClaimed) / reserveShares;
        uint256 drawn = claimedReserve[sender][s.reserveEpoch][recipient];
        uint256 left = allocation > drawn ? allocation - drawn : 0;
        return left < s.reserve ? left : s.reserve;
    }

    // ------------------------------------------------------------------ internals

    function _fund(uint256 depositAmount, uint256 reserveAmount) private {
        Sender storage s = senders[msg.sender];
        s.deposit = _u128(uint256(s.deposit) + depositAmount);
        s.reserve = _u128(uint256(s.reserve) + reserveAmount);
        if (s.withdrawBlock != 0) {
            s.withdrawBlock = 0;
            emit UnlockCancelled(msg.sender);
        }
        _pull(msg.sender, depositAmount + reserveAmount);
        if (depositAmount != 0) emit DepositFunded(msg.sender, depositAmount);
        if (reserveAmount != 0) emit ReserveFunded(msg.sender, reserveAmount);
    }

    function _requireValidWinningTicket(
        Ticket calldata ticket,
        bytes32 ticketHash,
        bytes calldata signature,
        uint256 recipientRand
    ) private view {
        if (ticket.recipient == address(0)) revert ZeroRecipient();
        if (ticket.sender == address(0)) revert ZeroSender();
        if (block.number > ticket.expirationBlock) {
            revert TicketExpired(ticketHash, ticket.expirationBlock, block.number);
        }
        if (keccak256(abi.encodePacked(recipientRand)) != ticket.recipientRandHash) revert BadRecipientRand(ticketHash);
        if (usedTickets[ticketHash]) revert TicketUsed(ticketHash);
        bytes32 digest = keccak256(abi.encodePacked("\x19Ethereum Signed Message:\n32", ticketHash));
        if (_recover(digest, signature) != ticket.sender) revert BadSignature(ticketHash);
        if (!isWinningTicket(recipientRand, ticket.sender, ticket.recipient, ticket.senderNonce, ticket.winProb)) {
            revert NotWinning(ticketHash);
        }
    }

    function _isLocked(Sender storage s) private view returns (bool) {
        return s.withdrawBlock == 0 || block.number < s.withdrawBlock;
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

    function _u128(uint256 x) private pure returns (uint128) {
        if (x > type(uint128).max) revert AmountTooLarge(x);
        return uint128(x);
    }

    function _pull(address from, uint256 value) private {
        if (value != 0 && !token.transferFrom(from, address(this), value)) revert TokenTransferFailed();
    }

    function _push(address to, uint256 value) private {
        if (!token.transfer(to, value)) revert TokenTransferFailed();
    }
}
