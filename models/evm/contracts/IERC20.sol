// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice The part of ERC-20 popsim's contracts call. POPToken reverts on failure instead of returning false;
///         callers still check the returned bool so a different token cannot fail silently.
interface IERC20 {
    function balanceOf(address account) external view returns (uint256);
    function allowance(address owner, address spender) external view returns (uint256);
    function transfer(address to, uint256 value) external returns (bool);
    function transferFrom(address from, address to, uint256 value) external returns (bool);
}
