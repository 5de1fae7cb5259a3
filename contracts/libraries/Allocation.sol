// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title How a round's fund is divided among projects, given their scores and asks
/// @notice Two procedures, both deterministic, both in integer kopiyky, both never exceeding the fund nor
/// any project's ask. Index i of every array is project id i + 1. docs/voting.md states them in prose.
library Allocation {
    /// @notice Shares of `fund` proportional to `scores`, each capped at its ask, the excess redistributed
    /// among the others (water-filling).
    /// @dev Pass by pass: with R the fund not yet given and S the sum of the scores of projects still open,
    /// every open project whose share floor(R * score / S) is at least its ask gets exactly its ask and is
    /// closed; if none was, every open project gets floor(R * score / S) and the procedure ends. Projects
    /// with score 0 get nothing. At most n + 1 passes of n steps. What the floors leave (a few kopiyky at
    /// most per project) and what no project could take stays unallocated.
    /// @return funded per project
    /// @return total the sum of `funded`
    function cappedProportional(uint256 fund, uint256[] memory scores, uint256[] memory asks)
        internal
        pure
        returns (uint256[] memory funded, uint256 total)
    {
        uint256 n = scores.length;
        funded = new uint256[](n);
        bool[] memory open = new bool[](n);
        for (uint256 i = 0; i < n; ++i) {
            open[i] = scores[i] > 0 && asks[i] > 0;
        }
        uint256 remaining = fund;
        while (true) {
            uint256 scoreSum = 0;
            for (uint256 i = 0; i < n; ++i) {
                if (open[i]) scoreSum += scores[i];
            }
            if (scoreSum == 0 || remaining == 0) break;
            uint256 passRemaining = remaining;
            bool cappedAny = false;
            for (uint256 i = 0; i < n; ++i) {
                if (open[i] && Math.mulDiv(passRemaining, scores[i], scoreSum) >= asks[i]) {
                    funded[i] = asks[i];
                    remaining -= asks[i];
                    open[i] = false;
                    cappedAny = true;
                }
            }
            if (!cappedAny) {
                for (uint256 i = 0; i < n; ++i) {
                    if (open[i]) {
                        uint256 share = Math.mulDiv(passRemaining, scores[i], scoreSum);
                        funded[i] = share;
                        remaining -= share;
                    }
                }
                break;
            }
        }
        total = fund - remaining;
    }

    /// @notice Full funding in order of weight: highest weight first (ties: lower project id first), each
    /// project funded at its whole ask if that still fits in what is left of the fund, else skipped.
    /// Projects with weight 0 get nothing.
    /// @return funded per project
    /// @return total the sum of `funded`
    function greedyByWeight(uint256 fund, uint256[] memory weights, uint256[] memory asks)
        internal
        pure
        returns (uint256[] memory funded, uint256 total)
    {
        uint256 n = weights.length;
        funded = new uint256[](n);
        uint256[] memory order = byWeightDescending(weights);
        uint256 remaining = fund;
        for (uint256 k = 0; k < n; ++k) {
            uint256 i = order[k];
            if (weights[i] == 0) break;
            if (asks[i] <= remaining) {
                funded[i] = asks[i];
                remaining -= asks[i];
            }
        }
        total = fund - remaining;
    }

    /// @notice Indices sorted by weight, highest first, ties by lower index first (insertion sort: stable,
    /// and n is at most a round's maximum number of projects).
    function byWeightDescending(uint256[] memory weights) internal pure returns (uint256[] memory order) {
        uint256 n = weights.length;
        order = new uint256[](n);
        for (uint256 i = 0; i < n; ++i) {
            uint256 j = i;
            // Shift right every earlier entry with a strictly smaller weight; equal weights keep their order.
            while (j > 0 && weights[order[j - 1]] < weights[i]) {
                order[j] = order[j - 1];
                --j;
            }
            order[j] = i;
        }
    }
}
