// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title The quadratic weight of a ballot entry, in integer fixed point
/// @notice weight(c) = floor(sqrt(c * 10^18)), that is sqrt(c) with 9 decimal digits, rounded down.
/// A project's weight is the sum of weight(c) over the residents who gave it c > 0 credits.
/// @dev Auditors recompute it bit for bit with Python's `math.isqrt(c * 10**18)`. Credits are RV
/// (decimals 0) and fit in 64 bits, so c * 10^18 < 2^124 never overflows.
library QuadraticMath {
    /// @notice 10^18: weights carry sqrt(10^18) = 10^9, i.e. nine decimal digits.
    uint256 internal constant SCALE_SQUARED = 1e18;

    function weight(uint256 credits) internal pure returns (uint256) {
        return Math.sqrt(credits * SCALE_SQUARED);
    }
}
