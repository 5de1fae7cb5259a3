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
/// Residents who move: a registry links only to a peer, a minimal clone of this same implementation, whose
/// answers ({releaseOf}, {arrivalOf}) come from its own records; it reads them with view calls and never
/// writes to it. Onboarding is permissionless, so a peer's registrar is as trustworthy as the hromada behind
/// it: the link records the registrar's claim that the person is the same, which their identity check backs.
/// A registry keeps a person from being active here and in a registry linked to this one at once unless a
/// release said `keepActive`; a chain of dual residencies across three hromadas is for the audit to flag.
contract ResidentRegistry is CTSBase, IResidentRegistry {
    /// @notice May add, suspend, reinstate, migrate, release and add moved residents.
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    /// @dev The runtime code hash of an EIP-1167 minimal clone of this implementation (OpenZeppelin's
    /// Clones, as HromadaFactory makes them): an immutable, so every clone reads the implementation's value.
    bytes32 private immutable _peerCodeHash;

    IRVToken public token;
    mapping(address account => Resident) private _residents;
    mapping(uint256 residentId => address) private _currentAddress;
    mapping(bytes32 identityHash => uint256 residentId) private _residentByIdentity;
    uint64 private _residentCount;
    uint64 private _activeCount;
    mapping(uint256 residentId => Release) private _releases;
    mapping(address fromRegistry => mapping(uint256 fromResidentId => Arrival)) private _arrivals;

    /// @param trustedForwarder_ the chain's CTSForwarder
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(address trustedForwarder_) CTSBase(trustedForwarder_) {
        _peerCodeHash =
            keccak256(abi.encodePacked(hex"363d3d373d3d3d363d73", address(this), hex"5af43d82803e903d91602b57fd5bf3"));
    }

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
        // An enum compared with one of its values: exact by nature (Slither's rule is about balances).
        // slither-disable-next-line incorrect-equality
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
    function activeAddressOf(uint256 residentId) external view returns (address) {
        address account = _currentAddress[residentId];
        // An enum compared with one of its values: exact by nature.
        // slither-disable-next-line incorrect-equality
        return _residents[account].status == ResidentStatus.Active ? account : address(0);
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

    /// @inheritdoc IResidentRegistry
    function isPeerRegistry(address registry) public view returns (bool) {
        return registry != address(this) && registry.codehash == _peerCodeHash;
    }

    /// @inheritdoc IResidentRegistry
    function releaseOf(uint256 residentId) external view returns (Release memory) {
        return _releases[residentId];
    }

    /// @inheritdoc IResidentRegistry
    function arrivalOf(address fromRegistry, uint256 fromResidentId) external view returns (Arrival memory) {
        return _arrivals[fromRegistry][fromResidentId];
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
        if (
            old.status != ResidentStatus.Active && old.status != ResidentStatus.Suspended
                && old.status != ResidentStatus.Moved
        ) {
            revert ResidentRegistryUnexpectedStatus(from, old.status, ResidentStatus.Active);
        }
        _residents[to] = Resident({
            id: old.id,
            status: old.status,
            registeredAt: old.registeredAt,
            previousAddress: from,
            migratedTo: address(0)
        });
        old.status = ResidentStatus.Migrated;
        old.migratedTo = to;
        _currentAddress[old.id] = to;
        uint256 moved = token.migrateBalance(from, to);
        emit ResidentMigrated(old.id, from, to, moved);
    }

    /// @inheritdoc IResidentRegistry
    function releaseResident(address account, address toRegistry, bool keepActive) external onlyRole(REGISTRAR_ROLE) {
        if (!isPeerRegistry(toRegistry)) revert ResidentRegistryNotPeerRegistry(toRegistry);
        Resident storage resident = _residents[account];
        ResidentStatus status = resident.status;
        Release storage release = _releases[resident.id];
        if (status == ResidentStatus.Moved) {
            // Already gone: only a redirection of a release not taken up, and nobody is kept active by it.
            if (keepActive) revert ResidentRegistryUnexpectedStatus(account, status, ResidentStatus.Active);
            if (release.toRegistry == toRegistry) revert ResidentRegistryAlreadyReleased(account, toRegistry);
        } else if (status != ResidentStatus.Active) {
            revert ResidentRegistryUnexpectedStatus(account, status, ResidentStatus.Active);
        } else if (release.toRegistry == toRegistry && keepActive && release.keepActive) {
            revert ResidentRegistryAlreadyReleased(account, toRegistry);
        }
        address previous = release.toRegistry;
        if (previous != toRegistry) {
            if (previous != address(0)) {
                Arrival memory there = IResidentRegistry(previous).arrivalOf(address(this), resident.id);
                if (there.residentId != 0 && there.releaseNumber == release.number) {
                    revert ResidentRegistryReleaseTakenUp(account, previous, there.residentId);
                }
            }
            release.toRegistry = toRegistry;
            ++release.number;
        }
        release.keepActive = keepActive;
        if (!keepActive && status == ResidentStatus.Active) {
            resident.status = ResidentStatus.Moved;
            --_activeCount;
        }
        emit ResidentReleased(resident.id, account, toRegistry, keepActive);
    }

    /// @inheritdoc IResidentRegistry
    function addMovedResident(address account, bytes32 identityHash, address fromRegistry, uint256 fromResidentId)
        external
        onlyRole(REGISTRAR_ROLE)
        returns (uint256 residentId)
    {
        if (!isPeerRegistry(fromRegistry)) revert ResidentRegistryNotPeerRegistry(fromRegistry);
        Release memory release = IResidentRegistry(fromRegistry).releaseOf(fromResidentId);
        if (release.toRegistry != address(this)) {
            revert ResidentRegistryNotReleased(fromRegistry, fromResidentId, release.toRegistry);
        }
        Arrival storage arrival = _arrivals[fromRegistry][fromResidentId];
        if (arrival.residentId != 0 && arrival.releaseNumber == release.number) {
            revert ResidentRegistryAlreadyArrived(fromRegistry, fromResidentId, arrival.residentId);
        }
        Resident storage resident = _residents[account];
        if (resident.status == ResidentStatus.None) {
            residentId = _addResident(account, identityHash);
        } else {
            residentId = _comeBack(resident, account, identityHash, fromRegistry, fromResidentId);
        }
        arrival.residentId = uint64(residentId);
        arrival.releaseNumber = release.number;
        emit ResidentArrived(residentId, account, fromRegistry, fromResidentId);
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
        // Field by field: a struct literal would also write zero over the two address words (4,400 gas), and
        // an address never used (status None) holds zero there already. The identity hash is kept once, as the
        // key of _residentByIdentity (and in ResidentAdded), not in the record too (22,100 gas).
        Resident storage resident = _residents[account];
        resident.id = uint64(residentId);
        resident.status = ResidentStatus.Active;
        resident.registeredAt = uint40(block.timestamp);
        _currentAddress[residentId] = account;
        _residentByIdentity[identityHash] = residentId;
        emit ResidentAdded(residentId, account, identityHash);
    }

    /// @dev A resident of ours at `account` comes back from `fromRegistry`, which took up our latest release of
    /// them as its resident `fromResidentId`: the release is closed, and a moved resident is active again (one
    /// kept active, or suspended since, keeps their status). Any other known `account` is simply in use.
    function _comeBack(
        Resident storage resident,
        address account,
        bytes32 identityHash,
        address fromRegistry,
        uint256 fromResidentId
    ) private returns (uint256 residentId) {
        residentId = resident.id;
        Release storage ours = _releases[residentId];
        ResidentStatus status = resident.status;
        // A retired address (Migrated) shares the resident's id, hence the release: only the current one counts.
        if (ours.toRegistry != fromRegistry || status == ResidentStatus.Migrated) {
            revert ResidentRegistryAddressInUse(account);
        }
        Arrival memory there = IResidentRegistry(fromRegistry).arrivalOf(address(this), residentId);
        if (there.residentId != fromResidentId || there.releaseNumber != ours.number) {
            revert ResidentRegistryAddressInUse(account);
        }
        if (_residentByIdentity[identityHash] != residentId) {
            revert ResidentRegistryIdentityMismatch(residentId, identityHash);
        }
        ours.toRegistry = address(0);
        ours.keepActive = false;
        if (status == ResidentStatus.Moved) {
            resident.status = ResidentStatus.Active;
            ++_activeCount;
        }
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
