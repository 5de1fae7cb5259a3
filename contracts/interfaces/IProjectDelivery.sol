// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Delivery of a funded project: milestones, reports, residents' flags and tranches
/// @notice After a round is finalised the council (the community fund's treasurer) gives a funded grant
/// project a delivery plan: milestones with due dates, each releasing a share of the funded amount (the
/// shares sum to it exactly, in kopiyky). The project's owner (the resident who pitched it) reports each
/// milestone with the hash of the report document (line items, amounts, suppliers) and its receipts'
/// hashes; milestones are reported in order. The council accepts or rejects a report (with a reason code;
/// a rejected milestone may be reported again). Any active resident may flag the current report of a
/// milestone once (a reason code and the hash of the reason's text); the council answers each flag with the
/// hash of its answer. A milestone's tranche is paid only when its report is accepted and every flag on it
/// is answered; the community fund records the payment and refuses more than the funded amount.
/// Everything is an event, so that the audit and the public pages recompute a project's delivery from
/// events alone.
interface IProjectDelivery {
    /// @notice Stored status of a milestone; {milestoneState} adds Overdue from the clock.
    enum MilestoneStatus {
        None,
        Planned,
        Reported,
        Rejected,
        Accepted,
        Paid
    }

    /// @notice Derived lifecycle of a milestone. Overdue: its due date passed and no report was accepted.
    enum MilestoneState {
        None,
        Planned,
        Reported,
        Rejected,
        Accepted,
        Paid,
        Overdue
    }

    /// @param dueAt when the milestone is due (unix seconds)
    /// @param shareKopiyky what its tranche releases
    /// @param status stored status
    /// @param reportId the milestone's current report (0 before the first)
    struct Milestone {
        uint40 dueAt;
        uint128 shareKopiyky;
        MilestoneStatus status;
        uint64 reportId;
    }

    /// @param roundId, projectId, index the milestone it reports
    /// @param openFlags flags on it not yet answered
    /// @param flags flags on it in all
    /// @param reportHash keccak of the report document (line items with the receipts' hashes)
    struct Report {
        uint64 roundId;
        uint64 projectId;
        uint16 index;
        uint32 openFlags;
        uint32 flags;
        bytes32 reportHash;
    }

    /// @param reportId the report flagged
    /// @param residentId who flagged it
    /// @param reasonCode 1 not done, 2 looks overpriced, 3 other (the service's codes; any non-zero value)
    /// @param answered whether the council answered
    /// @param reasonHash keccak of the resident's reason text
    /// @param answerHash keccak of the council's answer (0 before it)
    struct Flag {
        uint64 reportId;
        uint64 residentId;
        uint16 reasonCode;
        bool answered;
        bytes32 reasonHash;
        bytes32 answerHash;
    }

    /// @notice A funded project was given a plan of `milestones` milestones (each a {MilestonePlanned}).
    event DeliveryPlanSet(
        uint256 indexed roundId, uint256 indexed projectId, uint256 milestones, uint256 fundedKopiyky, bytes32 planHash
    );
    event MilestonePlanned(
        uint256 indexed roundId, uint256 indexed projectId, uint256 index, uint256 dueAt, uint256 shareKopiyky
    );
    /// @notice The owner reported a milestone; `receiptHashes` are the hashes of its receipts' files.
    event MilestoneReported(
        uint256 indexed roundId,
        uint256 indexed projectId,
        uint256 index,
        uint256 indexed reportId,
        uint256 ownerId,
        bytes32 reportHash,
        bytes32[] receiptHashes
    );
    event ReportAccepted(uint256 indexed roundId, uint256 indexed projectId, uint256 index, uint256 indexed reportId);
    event ReportRejected(
        uint256 indexed roundId, uint256 indexed projectId, uint256 index, uint256 indexed reportId, uint16 reasonCode
    );
    event ReportFlagged(
        uint256 indexed flagId, uint256 indexed reportId, uint256 indexed residentId, uint16 reasonCode, bytes32 reasonHash
    );
    event FlagAnswered(uint256 indexed flagId, uint256 indexed reportId, bytes32 answerHash);
    /// @notice A milestone's tranche was paid (the fund records it in its ledger in the same transaction).
    event TranchePaid(
        uint256 indexed roundId, uint256 indexed projectId, uint256 index, uint256 amountKopiyky, bytes32 receiptHash
    );

    /// @notice The caller lacks the fund's role `role` (the treasurer: the council).
    error ProjectDeliveryUnauthorised(address caller, bytes32 role);
    /// @notice The caller is not the resident who pitched the project.
    error ProjectDeliveryNotOwner(address caller, uint256 roundId, uint256 projectId);
    /// @notice The project is not a funded, unpaid grant of a finalised round (unknown, unfunded, a loan, or
    /// already paid in one go).
    error ProjectDeliveryNotPlannable(uint256 roundId, uint256 projectId);
    error ProjectDeliveryAlreadyPlanned(uint256 roundId, uint256 projectId);
    error ProjectDeliveryNoPlan(uint256 roundId, uint256 projectId);
    /// @notice A plan has 1 to MAX_MILESTONES milestones, due dates in the future and strictly increasing, and
    /// non-zero shares; the arrays are of one length.
    error ProjectDeliveryInvalidPlan();
    /// @notice The shares do not sum to the funded amount.
    error ProjectDeliveryShareSumMismatch(uint256 sumKopiyky, uint256 fundedKopiyky);
    error ProjectDeliveryUnknownMilestone(uint256 roundId, uint256 projectId, uint256 index);
    /// @notice The milestone is in state `current`; the action needs another.
    error ProjectDeliveryUnexpectedMilestoneState(
        uint256 roundId, uint256 projectId, uint256 index, MilestoneStatus current
    );
    /// @notice Milestone `index` may be reported only once milestone `index - 1` is accepted.
    error ProjectDeliveryOutOfOrder(uint256 roundId, uint256 projectId, uint256 index);
    error ProjectDeliveryZeroHash();
    error ProjectDeliveryZeroReasonCode();
    error ProjectDeliveryTooManyReceipts(uint256 count, uint256 max);
    error ProjectDeliveryUnknownReport(uint256 reportId);
    /// @notice Only a milestone's current report may be flagged, and not once its tranche is paid.
    error ProjectDeliveryReportNotFlaggable(uint256 reportId);
    error ProjectDeliveryAlreadyFlagged(uint256 reportId, uint256 residentId);
    error ProjectDeliveryUnknownFlag(uint256 flagId);
    error ProjectDeliveryFlagAlreadyAnswered(uint256 flagId);
    /// @notice The milestone's report has `openFlags` flags the council has not answered.
    error ProjectDeliveryUnansweredFlags(uint256 reportId, uint256 openFlags);

    // ------------------------------------------------------------ council (the fund's treasurer)

    /// @notice Gives a funded grant project its delivery plan.
    /// @dev Treasurer only; the round finalised, the project funded, not a loan, not paid; shares summing to
    /// the funded amount. Emits {DeliveryPlanSet} and a {MilestonePlanned} per milestone.
    /// @param dueDates unix seconds, in the future, strictly increasing
    /// @param sharesKopiyky each milestone's tranche, non-zero, summing to the funded amount
    /// @param planHash keccak of the plan document (the milestones' descriptions), not zero
    function setPlan(
        uint256 roundId,
        uint256 projectId,
        uint40[] calldata dueDates,
        uint128[] calldata sharesKopiyky,
        bytes32 planHash
    ) external;

    /// @notice Accepts a milestone's report. @dev Treasurer only; the milestone Reported. Emits {ReportAccepted}.
    function acceptReport(uint256 roundId, uint256 projectId, uint256 index) external;

    /// @notice Rejects a milestone's report; the owner may report it again.
    /// @dev Treasurer only; the milestone Reported; a non-zero reason code. Emits {ReportRejected}.
    function rejectReport(uint256 roundId, uint256 projectId, uint256 index, uint16 reasonCode) external;

    /// @notice Answers a resident's flag. @dev Treasurer only; once per flag. Emits {FlagAnswered}.
    /// @param answerHash keccak of the council's public answer, not zero
    function answerFlag(uint256 flagId, bytes32 answerHash) external;

    /// @notice Records the payment of a milestone's tranche, with the bank receipt's hash.
    /// @dev Treasurer only; the milestone Accepted and its report's flags all answered; the fund refuses a
    /// receipt used before and anything beyond the funded amount. Emits {TranchePaid} (and the fund's
    /// {ICommunityFund-GrantTranchePaid}).
    function payTranche(uint256 roundId, uint256 projectId, uint256 index, bytes32 receiptHash) external;

    // ------------------------------------------------------------ the project's owner and residents

    /// @notice The project's owner reports a milestone (again, after a rejection).
    /// @dev The resident who pitched the project, active; milestones in order (the previous one accepted);
    /// the milestone Planned or Rejected. Emits {MilestoneReported}.
    /// @param reportHash keccak of the report document, not zero
    /// @param receiptHashes the hashes of the receipts' files, at most MAX_RECEIPTS, none zero
    /// @return reportId the new report's id
    function reportMilestone(
        uint256 roundId,
        uint256 projectId,
        uint256 index,
        bytes32 reportHash,
        bytes32[] calldata receiptHashes
    ) external returns (uint256 reportId);

    /// @notice An active resident flags a milestone's current report, once per report.
    /// @dev Not once the tranche is paid. Emits {ReportFlagged}.
    /// @param reasonCode non-zero (the service's codes: 1 not done, 2 looks overpriced, 3 other)
    /// @param reasonHash keccak of the resident's reason text, not zero
    /// @return flagId the new flag's id
    function flagReport(uint256 reportId, uint16 reasonCode, bytes32 reasonHash) external returns (uint256 flagId);

    // ------------------------------------------------------------ views

    /// @notice Whether the project has a delivery plan (then only its tranches pay it).
    function hasPlan(uint256 roundId, uint256 projectId) external view returns (bool);

    /// @notice The project's milestones, in order (empty without a plan).
    function plan(uint256 roundId, uint256 projectId) external view returns (Milestone[] memory);

    function milestoneState(uint256 roundId, uint256 projectId, uint256 index) external view returns (MilestoneState);

    /// @notice Kopiyky paid to the project through its tranches.
    function paidKopiyky(uint256 roundId, uint256 projectId) external view returns (uint256);

    function report(uint256 reportId) external view returns (Report memory);

    function flag(uint256 flagId) external view returns (Flag memory);

    function hasFlagged(uint256 reportId, uint256 residentId) external view returns (bool);

    function reportCount() external view returns (uint256);

    function flagCount() external view returns (uint256);
}
