// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title An ERC-20 that burns 1 % of every transfer, for tests only
/// @notice Stands for the tokens whose recipient gets less than was sent: CoFinancing's stablecoin escrow must
/// refuse them rather than record a pledge its balance does not hold. Never deployed outside tests.
contract FeeOnTransferERC20 is ERC20 {
    constructor() ERC20("Fee", "FEE") {}

    /// @notice Mints `amount` to `to`, for anyone (tests only).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @dev Burns 1 % of every transfer between two accounts.
    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && to != address(0)) {
            uint256 fee = value / 100;
            super._update(from, address(0), fee);
            value -= fee;
        }
        super._update(from, to, value);
    }
}
