// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {CTSBase} from "./utils/CTSBase.sol";
import {HromadaContracts} from "./interfaces/HromadaContracts.sol";
import {IResidentRegistry} from "./interfaces/IResidentRegistry.sol";
import {IRVToken} from "./interfaces/IRVToken.sol";

/// @title Resident registry of a hromada
/// @notice See {IResidentRegistry}. The registrar (a person or office the council appoints) verifies
/// identities off chain and records only a hash of the check.
/// @dev Security considerations: the registrar is trusted to register one address per real person; the
/// identity-hash uniqueness check stops accidental double registration of the same check, not a
/// registrar who invents identities. Every registration is an event, so auditors can count and sample.
contract ResidentRegistry is CTSBase, IResidentRegistry {
    /// @notice May add, suspend, reinstate and migrate residents.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    IRVToken public token;
    mapping(address account => Resident) private _residents;
    mapping(uint256 residentId => address) private _currentAddress;
    mapping(bytes32 identityHash => uint256 residentId) private _residentByIdentity;
    uint64 private _residentCount;
    uint64 private _activeCount;

    /// @param trustedForwarder_ the chain's CTSForwarder
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(address trustedForwarder_) CTSBase(trustedForwarder_) {}

    /// @notice Wires the registry into its hromada and grants the council and the registrar their roles.
    /// @dev Called once by HromadaFactory in the transaction that creates the clone.
    function initialize(HromadaContracts calldata contracts, address council, address registrar)
        external
        initializer
    {
        __AccessControl_init();
        token = IRVToken(contracts.token);
        _grantRole(DEFAULT_ADMIN_ROLE, council);
        _grantRole(REGISTRAR_ROLE, registrar);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IResidentRegistry
    function isActive(address account) external view returns (bool) {
        return _residents[account].status == ResidentStatus.Active;
    }

    /// @inheritdoc IResidentRegistry
    function requireActive(address account) external view returns (uint256 residentId) {
        Resident storage resident = _residents[account];
        if (resident.status != ResidentStatus.Active) {
            revert ResidentRegistryNotActive(account, resident.status);
        }
        return resident.id;
    }

    /// @inheritdoc IResidentRegistry
    function residentOf(address account) external view returns (Resident memory) {
        return _residents[account];
    }

    /// @inheritdoc IResidentRegistry
    function addressOf(uint256 residentId) external view returns (address) {
        address account = _currentAddress[residentId];
        if (account == address(0)) revert ResidentRegistryUnknownResident(residentId);
        return account;
    }

    /// @inheritdoc IResidentRegistry
    function residentCount() external view returns (uint256) {
        return _residentCount;
    }

    /// @inheritdoc IResidentRegistry
    function activeResidentCount() external view returns (uint256) {
        return _activeCount;
    }

    /// @notice The resident registered with identity check `identityHash`, or 0.
    function residentIdByIdentity(bytes32 identityHash) external view returns (uint256) {
        return _residentByIdentity[identityHash];
    }

    // ---------------------------------------------------------------- registrar actions

    /// @inheritdoc IResidentRegistry
    function addResident(address account, bytes32 identityHash)
        external
        onlyRole(REGISTRAR_ROLE)
        returns (uint256 residentId)
    {
        return _addResident(account, identityHash);
    }

    /// @inheritdoc IResidentRegistry
    function addResidents(address[] calldata accounts, bytes32[] calldata identityHashes)
        external
        onlyRole(REGISTRAR_ROLE)
    {
        if (accounts.length != identityHashes.length) {
            revert ResidentRegistryLengthMismatch(accounts.length, identityHashes.length);
        }
        for (uint256 i = 0; i < accounts.length; ++i) {
            _addResident(accounts[i], identityHashes[i]);
        }
    }

    /// @inheritdoc IResidentRegistry
    function suspendResident(address account, uint16 reasonCode) external onlyRole(REGISTRAR_ROLE) {
        if (reasonCode == 0) revert ResidentRegistryZeroReasonCode();
        Resident storage resident = _requireStatus(account, ResidentStatus.Active);
        resident.status = ResidentStatus.Suspended;
        --_activeCount;
        emit ResidentSuspended(resident.id, account, reasonCode);
    }

    /// @inheritdoc IResidentRegistry
    function reinstateResident(address account) external onlyRole(REGISTRAR_ROLE) {
        Resident storage resident = _requireStatus(account, ResidentStatus.Suspended);
        resident.status = ResidentStatus.Active;
        ++_activeCount;
        emit ResidentReinstated(resident.id, account);
    }

    /// @inheritdoc IResidentRegistry
    function migrateResident(address from, address to) external onlyRole(REGISTRAR_ROLE) {
        if (to == address(0)) revert ResidentRegistryZeroAddress();
        if (token.isSystemContract(to) || to == address(token)) revert ResidentRegistrySystemContract(to);
        if (_residents[to].status != ResidentStatus.None) revert ResidentRegistryAddressInUse(to);
        Resident storage old = _residents[from];
        if (old.status != ResidentStatus.Active && old.status != ResidentStatus.Suspended) {
            revert ResidentRegistryUnexpectedStatus(from, old.status, ResidentStatus.Active);
        }
        _residents[to] = Resident({
            id: old.id,
            status: old.status,
            registeredAt: old.registeredAt,
            identityHash: old.identityHash,
            previousAddress: from,
            migratedTo: address(0)
        });
        old.status = ResidentStatus.Migrated;
        old.migratedTo = to;
        _currentAddress[old.id] = to;
        uint256 moved = token.migrateBalance(from, to);
        emit ResidentMigrated(old.id, from, to, moved);
    }

    // ---------------------------------------------------------------- internal

    function _addResident(address account, bytes32 identityHash) private returns (uint256 residentId) {
        if (account == address(0)) revert ResidentRegistryZeroAddress();
        if (identityHash == bytes32(0)) revert ResidentRegistryZeroIdentityHash();
        if (token.isSystemContract(account) || account == address(token)) {
            revert ResidentRegistrySystemContract(account);
        }
        if (_residents[account].status != ResidentStatus.None) revert ResidentRegistryAddressInUse(account);
        uint256 existing = _residentByIdentity[identityHash];
        if (existing != 0) revert ResidentRegistryIdentityInUse(identityHash, existing);
        residentId = ++_residentCount;
        ++_activeCount;
        _residents[account] = Resident({
            id: uint64(residentId),
            status: ResidentStatus.Active,
            registeredAt: uint40(block.timestamp),
            identityHash: identityHash,
            previousAddress: address(0),
            migratedTo: address(0)
        });
        _currentAddress[residentId] = account;
        _residentByIdentity[identityHash] = residentId;
        emit ResidentAdded(residentId, account, identityHash);
    }

    function _requireStatus(address account, ResidentStatus expected)
        private
        view
        returns (Resident storage resident)
    {
        resident = _residents[account];
        if (resident.status != expected) {
            revert ResidentRegistryUnexpectedStatus(account, resident.status, expected);
        }
    }
}
