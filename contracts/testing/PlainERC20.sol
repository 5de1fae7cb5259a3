// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title A plain OpenZeppelin ERC-20, for benchmarks and tests only
/// @notice The baseline our gas figures are compared with (an unrestricted mint and transfer of the most
/// common token implementation, measured in the same run as ours), and the stablecoin of the co-financing
/// tests. Never deployed outside benchmarks and tests.
contract PlainERC20 is ERC20 {
    constructor() ERC20("Plain", "PLAIN") {}

    /// @notice Mints `amount` to `to`, for anyone (benchmarks and tests only).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
