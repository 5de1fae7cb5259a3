// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IResidentRegistry} from "../interfaces/IResidentRegistry.sol";

/// @title A contract that claims every resident was released to whoever asks, for tests only
/// @notice Shows why a registry takes links only from a peer (a clone of its own implementation): this one
/// answers {releaseOf} with the caller as destination and {arrivalOf} with nothing, whatever happened.
/// Never deployed outside tests.
contract LyingResidentRegistry {
    /// @notice "Resident `residentId` was released to you", for any id and any caller.
    function releaseOf(uint256) external view returns (IResidentRegistry.Release memory) {
        return IResidentRegistry.Release({toRegistry: msg.sender, keepActive: false, number: 1});
    }

    /// @notice "Nobody arrived here", for any registry and id.
    function arrivalOf(address, uint256) external pure returns (IResidentRegistry.Arrival memory) {
        return IResidentRegistry.Arrival({residentId: 0, releaseNumber: 0});
    }
}
