// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {ContextUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/ContextUpgradeable.sol";
import {ERC2771ContextUpgradeable} from "@openzeppelin/contracts-upgradeable/metatx/ERC2771ContextUpgradeable.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";

/// @title What every per-hromada CTS contract shares
/// @notice Role-based access (the council holds DEFAULT_ADMIN_ROLE) and ERC-2771 meta-transactions
/// through the chain's one CTSForwarder, so a resident's signed request is attributed to the resident
/// and not to the relayer that paid its gas.
/// @dev Each hromada's contracts are EIP-1167 minimal clones of implementations deployed once per chain
/// (see HromadaFactory); the trusted forwarder is an immutable of the implementation, hence shared by all
/// clones. Implementations disable their initialisers in the constructor.
/// Security considerations: never add Multicall or any self-delegatecall to a contract inheriting this:
/// with ERC-2771 it would let a caller append a forged sender.
abstract contract CTSBase is Initializable, ERC2771ContextUpgradeable, AccessControlUpgradeable {
    /// @param trustedForwarder_ the chain's CTSForwarder
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(address trustedForwarder_) ERC2771ContextUpgradeable(trustedForwarder_) {
        _disableInitializers();
    }

    function _msgSender()
        internal
        view
        virtual
        override(ContextUpgradeable, ERC2771ContextUpgradeable)
        returns (address)
    {
        return ERC2771ContextUpgradeable._msgSender();
    }

    function _msgData()
        internal
        view
        virtual
        override(ContextUpgradeable, ERC2771ContextUpgradeable)
        returns (bytes calldata)
    {
        return ERC2771ContextUpgradeable._msgData();
    }

    function _contextSuffixLength()
        internal
        view
        virtual
        override(ContextUpgradeable, ERC2771ContextUpgradeable)
        returns (uint256)
    {
        return ERC2771ContextUpgradeable._contextSuffixLength();
    }
}
