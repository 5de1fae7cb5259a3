// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title A hromada's balanced vote: rounds that allocate a fund among pitched projects
/// @notice A round goes through pitching, screening by the council, voting and finalisation. Residents
/// spread RV credits over eligible projects; the RV is escrowed and burned at finalisation. A project's
/// weight is the sum over residents of sqrt(credits) (see QuadraticMath for the exact integer formula).
interface IBalancedVote {
    /// @notice How weights become funded amounts (see the Allocation library).
    /// QuadraticFunding: shares proportional to weight^2, capped at each ask, excess redistributed.
    /// ProportionalToWeight: shares proportional to weight, capped at each ask, excess redistributed.
    /// GreedyByWeight: whole asks in order of weight while the fund lasts.
    enum AllocationRule {
        QuadraticFunding,
        ProportionalToWeight,
        GreedyByWeight
    }

    /// @notice Derived lifecycle of a round (see {roundState}).
    enum RoundState {
        Scheduled,
        Pitching,
        Screening,
        Voting,
        Tallying,
        Finalised,
        Cancelled
    }

    enum ProjectStatus {
        Pitched,
        Eligible,
        Ineligible
    }

    /// @notice Ballot rules, fixed when voting opens.
    /// @param rule the allocation rule
    /// @param minProjectsPerBallot fewest projects a ballot may name (at least 1)
    /// @param maxProjectsPerBallot most projects a ballot may name
    /// @param maxCreditsPerProject most credits one resident may give one project; 0 for no cap
    /// @param coFinanced the co-financing rule: the vote fills only each project's gap, its ask minus the
    /// money partners pledged to it in the hromada's CoFinancing (which freezes money pledges when voting opens)
    struct Rules {
        AllocationRule rule;
        uint16 minProjectsPerBallot;
        uint16 maxProjectsPerBallot;
        uint64 maxCreditsPerProject;
        bool coFinanced;
    }

    /// @notice What the council gives to create a round. Windows: pitching [pitchStart, pitchEnd),
    /// screening [pitchEnd, screenEnd), voting [screenEnd, voteEnd).
    struct RoundParams {
        uint128 fundKopiyky;
        uint40 pitchStart;
        uint40 pitchEnd;
        uint40 screenEnd;
        uint40 voteEnd;
        uint16 maxProjects;
        bytes32 metadataHash;
        Rules rules;
    }

    struct Round {
        RoundParams params;
        uint16 projectCount;
        bool finalised;
        bool cancelled;
        uint64 voters;
        uint128 escrowed;
        uint128 totalFunded;
        uint128 rvBurned;
    }

    struct Project {
        uint64 proposerId;
        address proposer;
        uint128 askKopiyky;
        bytes32 metadataHash;
        ProjectStatus status;
        uint16 reasonCode;
        uint64 loanId;
        uint128 funded;
    }

    /// @notice The on-chain tally of a project: sum of weights, of credits, and number of supporters.
    struct Tally {
        uint128 weight;
        uint64 credits;
        uint64 supporters;
    }

    event RoundCreated(uint256 indexed roundId, RoundParams params);
    event RulesSet(uint256 indexed roundId, Rules rules);
    event ProjectPitched(
        uint256 indexed roundId,
        uint256 indexed projectId,
        uint256 indexed proposerId,
        address proposer,
        uint256 askKopiyky,
        bytes32 metadataHash,
        uint256 loanId
    );
    event ProjectScreened(uint256 indexed roundId, uint256 indexed projectId, bool eligible, uint16 reasonCode);
    /// @notice The resident's whole ballot is now `projectIds` with `credits` (empty: withdrawn); it
    /// replaces the previous one. `totalCredits` is what the round now holds in escrow for them.
    event BallotCast(
        uint256 indexed roundId,
        uint256 indexed residentId,
        address indexed voter,
        uint256[] projectIds,
        uint256[] credits,
        uint256 totalCredits
    );
    event ProjectFunded(uint256 indexed roundId, uint256 indexed projectId, uint256 weight, uint256 fundedKopiyky);
    event RoundFinalised(
        uint256 indexed roundId, uint256 totalFundedKopiyky, uint256 unallocatedKopiyky, uint256 rvBurned
    );
    event RoundCancelled(uint256 indexed roundId, uint256 escrowedToRefund);
    event RefundPaid(uint256 indexed roundId, uint256 indexed residentId, address indexed account, uint256 amount);

    /// @notice The round is in state `current`; the action needs `expected`.
    error BalancedVoteUnexpectedRoundState(uint256 roundId, RoundState current, RoundState expected);
    error BalancedVoteUnknownRound(uint256 roundId);
    error BalancedVoteUnknownProject(uint256 roundId, uint256 projectId);
    error BalancedVoteZeroAmount();
    error BalancedVoteZeroHash();
    error BalancedVoteZeroReasonCode();
    /// @notice Windows must be in order (pitchStart < pitchEnd < screenEnd < voteEnd) and end in the future.
    error BalancedVoteInvalidWindows();
    /// @notice A round takes between 1 and MAX_PROJECTS projects.
    error BalancedVoteInvalidMaxProjects(uint256 maxProjects, uint256 limit);
    /// @notice Ballot sizes must satisfy 1 <= min <= max <= the round's maximum number of projects.
    error BalancedVoteInvalidRules(uint256 minProjects, uint256 maxProjects);
    error BalancedVoteAskExceedsFund(uint256 askKopiyky, uint256 fundKopiyky);
    error BalancedVoteRoundFull(uint256 roundId, uint256 maxProjects);
    /// @notice The loan named at pitching is not an open application of the proposer for the same amount.
    error BalancedVoteLoanMismatch(uint256 loanId);
    error BalancedVoteProjectNotEligible(uint256 roundId, uint256 projectId);
    error BalancedVoteEmptyBallot();
    error BalancedVoteLengthMismatch(uint256 projectIds, uint256 credits);
    /// @notice A ballot names between the rules' minimum and maximum number of projects.
    error BalancedVoteBallotSize(uint256 size, uint256 minProjects, uint256 maxProjects);
    /// @notice The same project appears twice in one ballot.
    error BalancedVoteDuplicateProject(uint256 projectId);
    /// @notice Project ids in a ballot must be in increasing order.
    error BalancedVoteProjectsNotSorted(uint256 projectId, uint256 previousProjectId);
    error BalancedVoteZeroCredits(uint256 projectId);
    error BalancedVoteCreditsAboveCap(uint256 projectId, uint256 credits, uint256 cap);
    /// @notice The ballot needs `needed` more RV than the resident holds.
    error BalancedVoteInsufficientRV(address resident, uint256 needed, uint256 balance);
    error BalancedVoteNoBallot(uint256 roundId, uint256 residentId);

    /// @notice Creates a round and reserves its fund in the community fund.
    /// @dev Council only. Emits {RoundCreated}.
    function createRound(RoundParams calldata params) external returns (uint256 roundId);

    /// @notice Changes the ballot rules before voting opens. @dev Council only. Emits {RulesSet}.
    function setRules(uint256 roundId, Rules calldata rules) external;

    /// @notice The calling resident pitches a project during the pitching window.
    /// @dev Active residents only. Emits {ProjectPitched}.
    /// @param loanId 0 for a grant, or the caller's loan application for exactly `askKopiyky`
    function pitchProject(uint256 roundId, uint128 askKopiyky, bytes32 metadataHash, uint256 loanId)
        external
        returns (uint256 projectId);

    /// @notice Marks a project eligible or ineligible (with a reason code) before voting opens.
    /// @dev Council only. Emits {ProjectScreened}.
    function screenProject(uint256 roundId, uint256 projectId, bool eligible, uint16 reasonCode) external;

    /// @notice The calling resident's whole ballot: `credits[i]` RV on project `projectIds[i]`, ids
    /// increasing. Replaces any earlier ballot; only the difference in RV moves.
    /// @dev Active residents only, during voting. Emits {BallotCast}.
    function castBallot(uint256 roundId, uint256[] calldata projectIds, uint256[] calldata credits) external;

    /// @notice The calling resident withdraws their ballot; all its RV returns. @dev Emits {BallotCast}.
    function withdrawBallot(uint256 roundId) external;

    /// @notice Turns the tallies into funded amounts by the round's rule, burns the escrowed RV and settles
    /// the fund. Anyone may call once voting has closed.
    /// @dev Emits {ProjectFunded} per funded project and {RoundFinalised}.
    function finalise(uint256 roundId) external;

    /// @notice Cancels a round before finalisation; its fund is released; escrowed RV is refunded through
    /// {refund}. @dev Council only. Emits {RoundCancelled}.
    function cancelRound(uint256 roundId) external;

    /// @notice Refunds the escrowed RV of these residents in a cancelled round (anyone may call; residents
    /// already refunded or without a ballot are skipped). @dev Emits {RefundPaid} for each refund.
    function refund(uint256 roundId, uint256[] calldata residentIds) external;

    function round(uint256 roundId) external view returns (Round memory);

    function roundState(uint256 roundId) external view returns (RoundState);

    function project(uint256 roundId, uint256 projectId) external view returns (Project memory);

    function tally(uint256 roundId, uint256 projectId) external view returns (Tally memory);

    /// @notice A resident's current ballot in a round.
    function ballotOf(uint256 roundId, uint256 residentId)
        external
        view
        returns (uint256[] memory projectIds, uint256[] memory credits);

    /// @notice What {finalise} would fund if voting closed now (per project, index = project id - 1). Under
    /// the co-financing rule each project's ask counts only its gap (ask minus the money pledged to it).
    function previewAllocation(uint256 roundId) external view returns (uint256[] memory funded, uint256 total);

    function roundCount() external view returns (uint256);
}
