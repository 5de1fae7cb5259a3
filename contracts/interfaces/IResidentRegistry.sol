// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title The resident registry of a hromada: the Sybil defence
/// @notice One verified person, one resident id, one current address. Only active residents earn RV or vote.
/// No personal data is on chain: only a hash of the off-chain identity check.
/// A resident who moves to another hromada is released here and registered there with a link back (an event
/// in each registry); the record, its id and its RV stay here. See docs/design.md, "Residents who move".
interface IResidentRegistry {
    /// @notice Lifecycle of an address in the registry. `Migrated` is final: the resident moved to a new
    /// address. `Moved`: the resident was released to another hromada's registry without keeping residency
    /// here; not active (no earning, no voting), but the id, the history and the RV stay, and a return from
    /// that registry makes the resident active again.
    enum ResidentStatus {
        None,
        Active,
        Suspended,
        Migrated,
        Moved
    }

    /// @notice What the registry holds for an address.
    /// @param id the resident id, stable across migrations (the history pointer of the person)
    /// @param status the address's status
    /// @param registeredAt when the person was first registered (carried over by migration)
    /// @param previousAddress the address this one was migrated from, or zero
    /// @param migratedTo the address this one was migrated to, or zero
    struct Resident {
        uint64 id;
        ResidentStatus status;
        uint40 registeredAt;
        address previousAddress;
        address migratedTo;
    }

    /// @notice The latest release of a resident to another hromada's registry.
    /// @param toRegistry the registry the resident was released to; zero if never released, or after the
    /// resident came back from it
    /// @param keepActive whether the resident stays active here too (dual residency: this council allows it,
    /// and the other allows it by registering the resident)
    /// @param number the release's number for this resident (1, 2, ...): it changes whenever the destination
    /// does, so that a registry takes up each release at most once
    struct Release {
        address toRegistry;
        bool keepActive;
        uint32 number;
    }

    /// @notice How a resident of another registry arrived here.
    /// @param residentId the resident id here (0: never arrived)
    /// @param releaseNumber the number of the other registry's release that was taken up
    struct Arrival {
        uint64 residentId;
        uint32 releaseNumber;
    }

    /// @notice A verified person was registered at `account`.
    event ResidentAdded(uint256 indexed residentId, address indexed account, bytes32 identityHash);
    /// @notice The resident at `account` may no longer earn or vote, for the given reason code.
    event ResidentSuspended(uint256 indexed residentId, address indexed account, uint16 reasonCode);
    /// @notice A suspended resident is active again.
    event ResidentReinstated(uint256 indexed residentId, address indexed account);
    /// @notice The resident moved from `from` to `to` (lost or rotated key), with `rvMoved` RV.
    event ResidentMigrated(uint256 indexed residentId, address indexed from, address indexed to, uint256 rvMoved);
    /// @notice The resident at `account` was released to the registry `toRegistry` of another hromada; unless
    /// `keepActive`, their status here is now `Moved`.
    event ResidentReleased(
        uint256 indexed residentId, address indexed account, address indexed toRegistry, bool keepActive
    );
    /// @notice Resident `fromResidentId` of the registry `fromRegistry`, released to this one, is resident
    /// `residentId` here at `account`: a new resident (registered by the {ResidentAdded} just before) or one of
    /// ours coming back (active again).
    event ResidentArrived(
        uint256 indexed residentId, address indexed account, address indexed fromRegistry, uint256 fromResidentId
    );

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
    /// @notice `registry` is not another hromada's resident registry (an EIP-1167 clone of the same
    /// implementation as this one).
    error ResidentRegistryNotPeerRegistry(address registry);
    /// @notice Resident `fromResidentId` of `fromRegistry` was not released to this registry: its latest
    /// release is to `releasedTo` (zero: none).
    error ResidentRegistryNotReleased(address fromRegistry, uint256 fromResidentId, address releasedTo);
    /// @notice The release of resident `fromResidentId` of `fromRegistry` was already taken up here, by
    /// resident `residentId`.
    error ResidentRegistryAlreadyArrived(address fromRegistry, uint256 fromResidentId, uint256 residentId);
    /// @notice `account` is already released to `toRegistry` on these terms: nothing would change.
    error ResidentRegistryAlreadyReleased(address account, address toRegistry);
    /// @notice The release of `account` to `toRegistry` was taken up there (by its resident
    /// `residentIdThere`): it can no longer go to another registry.
    error ResidentRegistryReleaseTakenUp(address account, address toRegistry, uint256 residentIdThere);
    /// @notice Resident `residentId` comes back with identity check `identityHash`, not the one registered.
    error ResidentRegistryIdentityMismatch(uint256 residentId, bytes32 identityHash);

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
    /// @param from the resident's current address (active, suspended, or moved to another hromada: their RV
    /// and any refund stay theirs here)
    /// @param to a new address never seen by the registry
    function migrateResident(address from, address to) external;

    /// @notice Releases a resident who moved to another hromada, so that its registrar can register them
    /// with a link to this record ({addMovedResident} there). Unless `keepActive`, the resident is no longer
    /// active here (status `Moved`): no earning, no voting, while the id, the history and the RV stay. With
    /// `keepActive` (this council allows dual residency) the resident stays active here too.
    /// @dev Registrar only. Requires `toRegistry` to be another CTS registry ({isPeerRegistry}) and the
    /// resident to be active. Releasing again to the same registry changes only `keepActive` (e.g. `false`
    /// ends a dual residency). A release not yet taken up can be redirected to another registry, also for a
    /// moved resident (without `keepActive`); once taken up, it cannot. Emits {ResidentReleased}.
    /// @param account the resident's current address
    /// @param toRegistry the resident registry of the hromada the resident moved to
    /// @param keepActive whether the resident stays active here too
    function releaseResident(address account, address toRegistry, bool keepActive) external;

    /// @notice Registers a resident who moved here from another hromada, linked to their record there, which
    /// must have been released to this registry. A person coming back to a hromada they were released from
    /// gets their old record back (same id, history and RV; active again).
    /// @dev Registrar only. Requires `fromRegistry` to be another CTS registry ({isPeerRegistry}) whose
    /// latest release of `fromResidentId` is to this registry and was not taken up here yet. A new resident
    /// is registered as by {addResident} (same checks and errors; emits {ResidentAdded}); a returning one is
    /// recognised by `account` being the current address of a record released to `fromRegistry` and taken up
    /// there as `fromResidentId`, and must give the same identity hash. Emits {ResidentArrived}.
    /// @param account the resident's address: new to this registry, or their record's current address here
    /// (one custodial wallet per person may serve several hromadas)
    /// @param identityHash hash of the identity check, as for {addResident}
    /// @param fromRegistry the resident registry of the hromada the resident comes from
    /// @param fromResidentId the resident's id there
    /// @return residentId the resident's id here
    function addMovedResident(address account, bytes32 identityHash, address fromRegistry, uint256 fromResidentId)
        external
        returns (uint256 residentId);

    /// @notice Whether `account` is an active resident.
    function isActive(address account) external view returns (bool);

    /// @notice The resident id of an active resident; reverts with {ResidentRegistryNotActive} otherwise.
    function requireActive(address account) external view returns (uint256 residentId);

    /// @notice Everything the registry holds for `account` (status None if unknown).
    function residentOf(address account) external view returns (Resident memory);

    /// @notice The current address of resident `residentId`; reverts for an unknown id.
    function addressOf(uint256 residentId) external view returns (address);

    /// @notice The current address of resident `residentId` if the resident is active there; zero if not
    /// active (suspended, moved) or unknown. One call where a payer needs both the address and the check.
    function activeAddressOf(uint256 residentId) external view returns (address);

    /// @notice Number of persons ever registered.
    function residentCount() external view returns (uint256);

    /// @notice Number of persons currently active.
    function activeResidentCount() external view returns (uint256);

    /// @notice Whether `registry` is another hromada's resident registry: an EIP-1167 minimal clone of the
    /// same implementation as this one (as HromadaFactory makes them), hence code that answers {releaseOf}
    /// and {arrivalOf} from its own records.
    function isPeerRegistry(address registry) external view returns (bool);

    /// @notice The latest release of resident `residentId` (all zero if never released).
    function releaseOf(uint256 residentId) external view returns (Release memory);

    /// @notice How resident `fromResidentId` of `fromRegistry` arrived here (all zero if they did not).
    function arrivalOf(address fromRegistry, uint256 fromResidentId) external view returns (Arrival memory);
}
