// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title The resident registry of a hromada: the Sybil defence
/// @notice One verified person, one resident id, one current address. Only active residents earn RV or vote.
/// No personal data is on chain: only a hash of the off-chain identity check.
interface IResidentRegistry {
    /// @notice Lifecycle of an address in the registry. `Migrated` is final: the resident moved to a new address.
    enum ResidentStatus {
        None,
        Active,
        Suspended,
        Migrated
    }

    /// @notice What the registry holds for an address.
    /// @param id the resident id, stable across migrations (the history pointer of the person)
    /// @param status the address's status
    /// @param registeredAt when the person was first registered (carried over by migration)
    /// @param identityHash hash of the off-chain identity check (carried over by migration)
    /// @param previousAddress the address this one was migrated from, or zero
    /// @param migratedTo the address this one was migrated to, or zero
    struct Resident {
        uint64 id;
        ResidentStatus status;
        uint40 registeredAt;
        bytes32 identityHash;
        address previousAddress;
        address migratedTo;
    }

    /// @notice A verified person was registered at `account`.
    event ResidentAdded(uint256 indexed residentId, address indexed account, bytes32 identityHash);
    /// @notice The resident at `account` may no longer earn or vote, for the given reason code.
    event ResidentSuspended(uint256 indexed residentId, address indexed account, uint16 reasonCode);
    /// @notice A suspended resident is active again.
    event ResidentReinstated(uint256 indexed residentId, address indexed account);
    /// @notice The resident moved from `from` to `to` (lost or rotated key), with `rvMoved` RV.
    event ResidentMigrated(uint256 indexed residentId, address indexed from, address indexed to, uint256 rvMoved);

    /// @notice The zero address was given where a resident's address is needed.
    error ResidentRegistryZeroAddress();
    /// @notice `account` is already known to the registry (one address is never reused for another person).
    error ResidentRegistryAddressInUse(address account);
    /// @notice The identity check `identityHash` is already registered to resident `residentId`.
    error ResidentRegistryIdentityInUse(bytes32 identityHash, uint256 residentId);
    /// @notice `account` is one of the hromada's own contracts, never a resident.
    error ResidentRegistrySystemContract(address account);
    /// @notice An identity hash of zero was given.
    error ResidentRegistryZeroIdentityHash();
    /// @notice A reason code of zero was given; zero means "no reason".
    error ResidentRegistryZeroReasonCode();
    /// @notice `account` has status `current`, and the action needs `expected`.
    error ResidentRegistryUnexpectedStatus(address account, ResidentStatus current, ResidentStatus expected);
    /// @notice `account` is not an active resident (its status is `status`).
    error ResidentRegistryNotActive(address account, ResidentStatus status);
    /// @notice Two arrays that must have the same length do not.
    error ResidentRegistryLengthMismatch(uint256 accounts, uint256 identityHashes);
    /// @notice No resident has id `residentId`.
    error ResidentRegistryUnknownResident(uint256 residentId);

    /// @notice Registers a verified person at `account`.
    /// @dev Registrar only. Emits {ResidentAdded}.
    /// @param account the resident's (custodial or own) address; never seen by the registry before
    /// @param identityHash hash of the off-chain identity check; unique per person
    /// @return residentId the new resident's id (1, 2, ...)
    function addResident(address account, bytes32 identityHash) external returns (uint256 residentId);

    /// @notice Registers several verified persons in one transaction (onboarding a hromada's residents).
    /// @dev Registrar only. All or nothing. Emits {ResidentAdded} for each.
    /// @param accounts the residents' addresses
    /// @param identityHashes their identity-check hashes, in the same order
    function addResidents(address[] calldata accounts, bytes32[] calldata identityHashes) external;

    /// @notice Suspends an active resident: no earning, no voting until reinstated.
    /// @dev Registrar only. Emits {ResidentSuspended}.
    /// @param account the resident's current address
    /// @param reasonCode why (non-zero; codes are documented off chain)
    function suspendResident(address account, uint16 reasonCode) external;

    /// @notice Reinstates a suspended resident.
    /// @dev Registrar only. Emits {ResidentReinstated}.
    /// @param account the resident's current address
    function reinstateResident(address account) external;

    /// @notice Moves a resident to a new address (lost or rotated key), with their whole RV balance. The
    /// resident id, registration date, identity hash and status carry over; the old address is retired.
    /// @dev Registrar only. Emits {ResidentMigrated} (and the token's Transfer of the balance).
    /// @param from the resident's current address (active or suspended)
    /// @param to a new address never seen by the registry
    function migrateResident(address from, address to) external;

    /// @notice Whether `account` is an active resident.
    function isActive(address account) external view returns (bool);

    /// @notice The resident id of an active resident; reverts with {ResidentRegistryNotActive} otherwise.
    function requireActive(address account) external view returns (uint256 residentId);

    /// @notice Everything the registry holds for `account` (status None if unknown).
    function residentOf(address account) external view returns (Resident memory);

    /// @notice The current address of resident `residentId`; reverts for an unknown id.
    function addressOf(uint256 residentId) external view returns (address);

    /// @notice Number of persons ever registered.
    function residentCount() external view returns (uint256);

    /// @notice Number of persons currently active.
    function activeResidentCount() external view returns (uint256);
}
