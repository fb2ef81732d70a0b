// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title POPToken: the POP Network's ERC-20, fixed supply.
/// @notice 1.6e9 POP with 18 decimals are minted once, in the constructor, to a genesis address. There is no
///         mint or burn function: "burned" POP (slashing, fees) is sent to a dead address and counted by the
///         contract that burns it, so `totalSupply()` is 1.6e9e18 forever and the simulator's accounting
///         invariant `liquid + staked + escrow + pools + burned = 1.6e9` can be checked against balances.
/// @dev popsim's own code (not OpenZeppelin's). Reverts with custom errors (cheaper than strings; the host
///      decodes them through the ABI). An allowance of type(uint256).max is treated as infinite and never
///      decremented, which saves a storage write for contracts that users approve once (channels, staking).
contract POPToken {
    string public constant name = "POP Network Token";
    string public constant symbol = "POP";
    uint8 public constant decimals = 18;
    /// 1.6 billion whole tokens, in wei (1e18 per token).
    uint256 public constant totalSupply = 1_600_000_000 * 1e18;

    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    error InsufficientBalance(address from, uint256 balance, uint256 needed);
    error InsufficientAllowance(address owner, address spender, uint256 allowance, uint256 needed);
    error ZeroAddress();
    error LengthMismatch(uint256 recipients, uint256 amounts);

    constructor(address genesis) {
        if (genesis == address(0)) revert ZeroAddress();
        balanceOf[genesis] = totalSupply;
        emit Transfer(address(0), genesis, totalSupply);
    }

    function transfer(address to, uint256 value) external returns (bool) {
        _transfer(msg.sender, to, value);
        return true;
    }

    /// Multi-send of the caller's own tokens: `to[i]` receives `amounts[i]`, in order, with one Transfer event per
    /// recipient (indexers and popsim's supply audit see every balance change). All or nothing: one failing
    /// transfer (a zero address, too little balance) reverts the whole batch. Genesis uses it to pay thousands of
    /// allocations in a few dozen calls instead of one call each.
    function transferBatch(address[] calldata to, uint256[] calldata amounts) external returns (bool) {
        if (to.length != amounts.length) revert LengthMismatch(to.length, amounts.length);
        for (uint256 i = 0; i < to.length; i++) {
            _transfer(msg.sender, to[i], amounts[i]);
        }
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) {
            if (allowed < value) revert InsufficientAllowance(from, msg.sender, allowed, value);
            unchecked {
                allowance[from][msg.sender] = allowed - value;
            }
        }
        _transfer(from, to, value);
        return true;
    }

    function _transfer(address from, address to, uint256 value) private {
        // Sending to address(0) would look like a burn to indexers but would not reduce totalSupply: forbid it.
        // Burns go to an explicit dead address instead (see Staking.BURN_ADDRESS).
        if (to == address(0)) revert ZeroAddress();
        uint256 balance = balanceOf[from];
        if (balance < value) revert InsufficientBalance(from, balance, value);
        unchecked {
            // Cannot overflow: the sum of all balances is totalSupply < 2^256.
            balanceOf[from] = balance - value;
            balanceOf[to] += value;
        }
        emit Transfer(from, to, value);
    }
}
