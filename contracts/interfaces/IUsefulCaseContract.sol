// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title A hromada's useful-case programmes (the pilots' "smart contracts")
/// @notice A programme publishes a reward in RV per useful case (cleaning a park, weaving camouflage nets,
/// donating blood...), the UAH value of one case, caps, a validity window and a k-of-n verifier quorum.
/// Residents submit cases with an evidence hash; on quorum the reward is minted.
interface IUsefulCaseContract {
    /// @notice Stored status of a programme (the council's switch).
    enum ProgrammeStatus {
        Active,
        Paused,
        Closed
    }

    /// @notice Derived lifecycle of a programme: its status and the clock (see {programmeState}).
    enum ProgrammeState {
        Scheduled,
        Open,
        Ended,
        Paused,
        Closed
    }

    /// @notice Lifecycle of a case.
    enum CaseStatus {
        None,
        Pending,
        Approved,
        Rejected
    }

    /// @notice What the council gives to create a programme.
    /// @param title short human title (also in the event)
    /// @param metadataHash hash of the full description published off chain
    /// @param rewardPerCase RV minted per approved case
    /// @param caseValueKopiyky UAH value of one case to the community, in kopiyky (for impact figures)
    /// @param tokenCap most RV the programme may ever mint; tokenCap x face value is reserved in the fund
    /// @param perResidentCap most RV one resident may earn from this programme
    /// @param start first second at which cases may be submitted
    /// @param end first second at which cases may no longer be submitted
    /// @param quorum approvals needed (k of the n verifiers)
    /// @param verifiers the verifier set (n), at most MAX_VERIFIERS
    struct ProgrammeParams {
        string title;
        bytes32 metadataHash;
        uint64 rewardPerCase;
        uint128 caseValueKopiyky;
        uint64 tokenCap;
        uint64 perResidentCap;
        uint40 start;
        uint40 end;
        uint8 quorum;
        address[] verifiers;
    }

    /// @notice A programme and its running figures.
    struct Programme {
        bytes32 metadataHash;
        uint128 caseValueKopiyky;
        uint64 rewardPerCase;
        uint64 tokenCap;
        uint64 perResidentCap;
        uint40 start;
        uint40 end;
        uint8 quorum;
        ProgrammeStatus status;
        uint64 casesSubmitted;
        uint64 casesApproved;
        uint64 casesRejected;
        uint64 rvMinted;
        uint128 valueApprovedKopiyky;
        string title;
    }

    /// @notice A useful case.
    /// @dev Everything but the evidence hash fits one storage word (a case costs two fresh words, not three):
    /// at most 65,535 programmes and 16,777,215 residents per hromada, times until the year 2106. Wider
    /// values revert (OpenZeppelin's SafeCastOverflowedUintDowncast) rather than wrap.
    struct Case {
        uint16 programmeId;
        uint24 residentId;
        uint8 approvals;
        uint8 rejections;
        CaseStatus status;
        uint32 submittedAt;
        address submittedBy;
        bytes32 evidenceHash;
    }

    /// @notice A programme was created with these parameters (title, reward, value, caps, window, quorum,
    /// verifiers), and its reserve taken from the fund.
    event ProgrammeCreated(uint256 indexed programmeId, ProgrammeParams params);
    event ProgrammePaused(uint256 indexed programmeId);
    event ProgrammeResumed(uint256 indexed programmeId);
    /// @notice The programme is closed for good; `unusedReserveKopiyky` went back to the fund's capital.
    event ProgrammeClosed(uint256 indexed programmeId, uint256 unusedReserveKopiyky);
    event VerifierAdded(uint256 indexed programmeId, address indexed verifier);
    event VerifierRemoved(uint256 indexed programmeId, address indexed verifier);
    event QuorumChanged(uint256 indexed programmeId, uint256 quorum);
    event CaseSubmitted(
        uint256 indexed caseId,
        uint256 indexed programmeId,
        uint256 indexed residentId,
        address resident,
        address submittedBy,
        bytes32 evidenceHash
    );
    /// @notice One verifier's approval (the case is approved when {CaseApproved} follows).
    event CaseApprovedBy(uint256 indexed caseId, address indexed verifier);
    /// @notice One verifier's rejection with its reason code.
    event CaseRejectedBy(uint256 indexed caseId, address indexed verifier, uint16 reasonCode);
    /// @notice The case reached its quorum; `rvMinted` RV went to the resident.
    event CaseApproved(
        uint256 indexed caseId,
        uint256 indexed programmeId,
        uint256 indexed residentId,
        address resident,
        uint256 rvMinted,
        uint256 valueKopiyky
    );
    /// @notice Enough verifiers rejected the case that the quorum can no longer be reached.
    event CaseRejected(uint256 indexed caseId, uint256 indexed programmeId, uint256 indexed residentId);

    error UsefulCaseEmptyTitle();
    /// @notice The title is `length` bytes long (UTF-8); at most `max` are allowed.
    error UsefulCaseTitleTooLong(uint256 length, uint256 max);
    error UsefulCaseZeroReward();
    /// @notice The hromada already has the most programmes a case can refer to.
    error UsefulCaseTooManyProgrammes(uint256 max);
    error UsefulCaseZeroHash();
    /// @notice Caps must hold at least one reward, and the per-resident cap cannot exceed the programme cap.
    error UsefulCaseInvalidCaps(uint256 rewardPerCase, uint256 tokenCap, uint256 perResidentCap);
    /// @notice The window must end after it starts, and in the future.
    error UsefulCaseInvalidWindow(uint256 start, uint256 end);
    /// @notice The quorum must be between 1 and the number of verifiers (at most MAX_VERIFIERS).
    error UsefulCaseInvalidQuorum(uint256 quorum, uint256 verifiers);
    error UsefulCaseZeroAddress();
    error UsefulCaseDuplicateVerifier(uint256 programmeId, address verifier);
    error UsefulCaseNotVerifier(uint256 programmeId, address account);
    error UsefulCaseUnknownProgramme(uint256 programmeId);
    error UsefulCaseUnknownCase(uint256 caseId);
    /// @notice The programme is in state `current`; the action needs `expected`.
    error UsefulCaseUnexpectedProgrammeState(uint256 programmeId, ProgrammeState current, ProgrammeState expected);
    error UsefulCaseNotPending(uint256 caseId, CaseStatus status);
    /// @notice The same evidence was already used by case `existingCaseId`.
    error UsefulCaseDuplicateEvidence(bytes32 evidenceHash, uint256 existingCaseId);
    /// @notice A verifier may not decide a case of their own or one they recorded.
    error UsefulCaseSelfApproval(uint256 caseId, address verifier);
    error UsefulCaseAlreadyDecided(uint256 caseId, address verifier);
    /// @notice Minting `reward` would take the programme past its token cap.
    error UsefulCaseProgrammeCapExceeded(uint256 programmeId, uint256 minted, uint256 reward, uint256 cap);
    /// @notice Minting `reward` would take the resident past the programme's per-resident cap.
    error UsefulCaseResidentCapExceeded(
        uint256 programmeId, uint256 residentId, uint256 earned, uint256 reward, uint256 cap
    );
    error UsefulCaseZeroReasonCode();
    /// @notice The case still meets neither its quorum of approvals nor the rejection rule.
    error UsefulCaseNotSettleable(uint256 caseId, uint256 approvals, uint256 rejections, uint256 quorum);
    /// @notice A programme has at most `max` verifiers.
    error UsefulCaseTooManyVerifiers(uint256 programmeId, uint256 max);
    /// @notice The case's resident is not active now (suspended): nothing can be minted to them.
    error UsefulCaseResidentNotActive(uint256 caseId, uint256 residentId);
    error UsefulCaseEmptyBatch();
    error UsefulCaseBatchTooLarge(uint256 size, uint256 max);

    /// @notice Creates a programme and reserves tokenCap x face value of the fund's capital for it.
    /// @dev Council only. The title is 1 to 200 bytes of UTF-8 (MAX_TITLE_BYTES). Reverts if the fund lacks
    /// available capital. Emits {ProgrammeCreated}.
    /// @return programmeId the new programme's id (1, 2, ...)
    function createProgramme(ProgrammeParams calldata params) external returns (uint256 programmeId);

    /// @notice Stops submissions and approvals until resumed. @dev Council only. Emits {ProgrammePaused}.
    function pauseProgramme(uint256 programmeId) external;

    /// @notice Resumes a paused programme. @dev Council only. Emits {ProgrammeResumed}.
    function resumeProgramme(uint256 programmeId) external;

    /// @notice Closes a programme for good; pending cases can no longer be approved; the unused part of
    /// its reserve returns to the fund's available capital.
    /// @dev Council only. Emits {ProgrammeClosed}.
    function closeProgramme(uint256 programmeId) external;

    /// @notice Adds a verifier to a programme. @dev Council only. Emits {VerifierAdded}.
    function addVerifier(uint256 programmeId, address verifier) external;

    /// @notice Removes a verifier; the quorum must still be reachable.
    /// @dev Council only. Emits {VerifierRemoved}.
    function removeVerifier(uint256 programmeId, address verifier) external;

    /// @notice Sets the number of approvals needed. @dev Council only. Emits {QuorumChanged}.
    function setQuorum(uint256 programmeId, uint8 quorum) external;

    /// @notice The calling resident submits a useful case with a hash of its evidence (photo, document).
    /// @dev Active residents only, while the programme is open. Emits {CaseSubmitted}.
    /// @return caseId the new case's id
    function submitCase(uint256 programmeId, bytes32 evidenceHash) external returns (uint256 caseId);

    /// @notice A coordinator records a case for a resident who is offline.
    /// @dev Coordinators only; the resident must be active. Emits {CaseSubmitted}.
    /// @return caseId the new case's id
    function recordCase(uint256 programmeId, address resident, bytes32 evidenceHash)
        external
        returns (uint256 caseId);

    /// @notice The calling verifier approves a case; on quorum the reward is minted to the resident.
    /// @dev Emits {CaseApprovedBy}, and {CaseApproved} on quorum.
    function approveCase(uint256 caseId) external;

    /// @notice The calling verifier approves several cases; all or nothing (a cap crossed by any one of them
    /// reverts the whole batch).
    /// @dev Emits what {approveCase} emits, for each case.
    function approveCases(uint256[] calldata caseIds) external;

    /// @notice The calling verifier rejects a case with a reason code (non-zero).
    /// @dev Emits {CaseRejectedBy}, and {CaseRejected} once the quorum can no longer be reached.
    function rejectCase(uint256 caseId, uint16 reasonCode) external;

    /// @notice Applies the decision rules again to a pending case, after the council changed the quorum or the
    /// verifier set: approved (and rewarded) if its approvals now meet the quorum, rejected if its rejections
    /// now exceed n - quorum. Anyone may call.
    /// @dev Emits {CaseApproved} or {CaseRejected}; reverts with {UsefulCaseNotSettleable} otherwise.
    function settleCase(uint256 caseId) external;

    /// @notice A programme and its figures (cases approved, RV minted, UAH value).
    function programme(uint256 programmeId) external view returns (Programme memory);

    /// @notice The programme's lifecycle state now.
    function programmeState(uint256 programmeId) external view returns (ProgrammeState);

    /// @notice The programme's verifiers.
    function verifiersOf(uint256 programmeId) external view returns (address[] memory);

    /// @notice A case.
    function caseOf(uint256 caseId) external view returns (Case memory);

    /// @notice RV resident `residentId` has earned from programme `programmeId`.
    function earnedBy(uint256 programmeId, uint256 residentId) external view returns (uint256);

    /// @notice Number of programmes created.
    function programmeCount() external view returns (uint256);

    /// @notice Number of cases submitted.
    function caseCount() external view returns (uint256);
}
