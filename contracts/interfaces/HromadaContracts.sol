// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice The addresses of one hromada's contracts, given to every initialiser so that each knows the
/// others (they are deployed together by HromadaFactory).
struct HromadaContracts {
    address registry;
    address token;
    address usefulCases;
    address balancedVote;
    address fund;
    address delivery;
    address coFinancing;
}
