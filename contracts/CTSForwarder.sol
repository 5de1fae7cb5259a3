// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC2771Forwarder} from "@openzeppelin/contracts/metatx/ERC2771Forwarder.sol";

/// @title CTS forwarder
/// @notice The one trusted forwarder of a chain's CTS contracts: relayers submit residents'
/// signed EIP-712 ForwardRequests through it (`execute`, `executeBatch`), and the CTS
/// contracts read the resident, not the relayer, as the sender (ERC-2771).
/// @dev OpenZeppelin's ERC2771Forwarder unchanged; its own name is the EIP-712 domain name.
/// Security considerations: see OpenZeppelin's ERC2771Forwarder. CTS contracts that trust it
/// never use Multicall or self-delegatecall, which would let a caller forge the appended sender.
contract CTSForwarder is ERC2771Forwarder {
    constructor() ERC2771Forwarder("CTSForwarder") {}
}
