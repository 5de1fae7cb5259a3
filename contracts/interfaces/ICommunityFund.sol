// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IBalancedVote} from "./IBalancedVote.sol";
import {IResidentRegistry} from "./IResidentRegistry.sol";

/// @title A hromada's community fund: the on-chain ledger of its revolving capital
/// @notice The money itself moves off chain (bank transfers, cash); every movement is recorded here with a
/// receipt hash, in kopiyky. The ledger always balances:
///   deposits = available + programme reserves + token fund + round reserves + committed
///              + loans outstanding + grants paid + written off.
/// Capital flows: a deposit is available; a programme reserves its RV cap x face value; each RV minted moves
/// its face value from the programme's reserve to the token fund (the money residents direct with RV); a
/// vote round reserves its fund (from the token fund, then from available capital); finalisation commits
/// the funded amounts and returns the rest; committed money is paid as a grant or lent as an interest-free
/// loan; repayments return to available capital, which new programmes reserve again: the revolving cycle.
interface ICommunityFund {
    enum DepositSource {
        Donor,
        LocalBudget,
        Other
    }

    /// @notice Stored status of a loan; {loanState} adds Overdue from the clock.
    enum LoanStatus {
        None,
        Applied,
        Approved,
        Rejected,
        Active,
        Repaid,
        Defaulted,
        Cancelled
    }

    enum LoanState {
        None,
        Applied,
        Approved,
        Rejected,
        Active,
        Overdue,
        Repaid,
        Defaulted,
        Cancelled
    }

    /// @notice The ledger's buckets, in kopiyky.
    struct Ledger {
        uint256 deposits;
        uint256 available;
        uint256 programmeReserves;
        uint256 tokenFund;
        uint256 roundReserves;
        uint256 committed;
        uint256 loansOutstanding;
        uint256 grantsPaid;
        uint256 writtenOff;
    }

    /// @notice Impact figures of a reporting cycle (or, for cycle 0, of all time).
    /// @param casesValueKopiyky UAH value of approved useful cases
    /// @param casesApproved number of approved useful cases
    /// @param rvIssued RV minted
    /// @param rvIssuedKopiyky RV minted x face value: the token fund created
    /// @param lentKopiyky loans disbursed
    /// @param repaidKopiyky loan repayments
    /// @param writtenOffKopiyky loans written off
    /// @param grantsKopiyky grants paid
    /// @param depositsKopiyky capital deposited
    struct Impact {
        uint256 casesValueKopiyky;
        uint256 casesApproved;
        uint256 rvIssued;
        uint256 rvIssuedKopiyky;
        uint256 lentKopiyky;
        uint256 repaidKopiyky;
        uint256 writtenOffKopiyky;
        uint256 grantsKopiyky;
        uint256 depositsKopiyky;
    }

    /// @notice An interest-free loan. Instalment i is due `dueOffsets[i]` seconds after disbursement.
    struct Loan {
        uint64 applicantId;
        address applicant;
        LoanStatus status;
        uint40 appliedAt;
        uint40 disbursedAt;
        uint64 roundId;
        uint64 projectId;
        uint128 principal;
        uint128 repaid;
        bytes32 metadataHash;
        uint128[] instalments;
        uint64[] dueOffsets;
    }

    event CycleOpened(uint256 indexed cycleId, bytes32 label);
    event CapitalDeposited(
        uint256 indexed depositId,
        uint256 indexed cycleId,
        DepositSource source,
        uint256 amountKopiyky,
        bytes32 sourceRef,
        bytes32 receiptHash
    );
    event ProgrammeReserved(uint256 indexed programmeId, uint256 amountKopiyky);
    event ProgrammeReleased(uint256 indexed programmeId, uint256 amountKopiyky);
    /// @notice RV was issued under a programme for `cases` approved useful cases (one approval, or a run of one
    /// programme's cases in a batch): its face value `kopiyky` moved from the programme's reserve to the token
    /// fund; `caseValueKopiyky` is the value of those cases together.
    event IssuanceRecorded(
        uint256 indexed programmeId,
        uint256 indexed cycleId,
        uint256 cases,
        uint256 rv,
        uint256 kopiyky,
        uint256 caseValueKopiyky
    );
    event RoundReserved(uint256 indexed roundId, uint256 fromTokenFund, uint256 fromAvailable);
    event RoundSettled(uint256 indexed roundId, uint256 committedKopiyky, uint256 returnedKopiyky);
    event RoundReleased(uint256 indexed roundId, uint256 toTokenFund, uint256 toAvailable);
    event GrantPaid(uint256 indexed roundId, uint256 indexed projectId, uint256 amountKopiyky, bytes32 receiptHash);
    /// @notice A tranche of a planned grant was paid (see {IProjectDelivery}); `paidKopiyky` is what the
    /// project has been paid in all, never more than its funded amount.
    event GrantTranchePaid(
        uint256 indexed roundId,
        uint256 indexed projectId,
        uint256 amountKopiyky,
        uint256 paidKopiyky,
        bytes32 receiptHash
    );
    /// @notice A funded project's money that will be neither paid nor lent returned to available capital.
    event ProjectFundsReleased(uint256 indexed roundId, uint256 indexed projectId, uint256 amountKopiyky);
    event LoanApplied(
        uint256 indexed loanId, uint256 indexed applicantId, address applicant, uint256 principal, bytes32 metadataHash
    );
    event LoanApproved(uint256 indexed loanId, uint256 principal, uint256 roundId, uint256 projectId);
    event LoanRejected(uint256 indexed loanId, uint16 reasonCode);
    event LoanCancelled(uint256 indexed loanId, uint256 returnedKopiyky);
    event LoanDisbursed(uint256 indexed loanId, uint256 indexed cycleId, uint256 amountKopiyky, bytes32 receiptHash);
    event LoanRepaid(
        uint256 indexed loanId, uint256 indexed cycleId, uint256 amountKopiyky, uint256 outstanding, bytes32 receiptHash
    );
    event LoanDefaulted(uint256 indexed loanId, uint256 indexed cycleId, uint256 writtenOffKopiyky);

    error CommunityFundUnauthorised(address caller);
    error CommunityFundZeroAmount();
    error CommunityFundZeroHash();
    /// @notice A receipt can be recorded only once.
    error CommunityFundDuplicateReceipt(bytes32 receiptHash);
    /// @notice Not enough capital in the bucket the action draws on.
    error CommunityFundInsufficientCapital(uint256 needed, uint256 available);
    /// @notice Issuance beyond what was reserved for the programme.
    error CommunityFundInsufficientReserve(uint256 programmeId, uint256 needed, uint256 reserved);
    error CommunityFundAlreadyReserved(uint256 id);
    error CommunityFundUnknownRound(uint256 roundId);
    error CommunityFundUnknownLoan(uint256 loanId);
    /// @notice The loan is in state `current`; the action needs `expected`.
    error CommunityFundUnexpectedLoanState(uint256 loanId, LoanState current, LoanState expected);
    /// @notice An instalment schedule must be non-empty, at most MAX_INSTALMENTS long, with strictly
    /// increasing due offsets and non-zero instalments summing to the principal.
    error CommunityFundInvalidSchedule();
    error CommunityFundRepaymentTooLarge(uint256 loanId, uint256 amount, uint256 outstanding);
    /// @notice The project was not funded by its round, or is already paid or lent.
    error CommunityFundProjectNotPayable(uint256 roundId, uint256 projectId);
    /// @notice The loan and the project were not made by the same resident, or do not refer to each other.
    error CommunityFundLoanProjectMismatch(uint256 loanId, uint256 roundId, uint256 projectId);
    error CommunityFundZeroReasonCode();
    /// @notice The project has a delivery plan: it is paid by its tranches (ProjectDelivery), not in one go.
    error CommunityFundProjectHasPlan(uint256 roundId, uint256 projectId);
    /// @notice A tranche would take a project's payments to `paidKopiyky`, beyond its funded amount.
    error CommunityFundOverpaid(uint256 roundId, uint256 projectId, uint256 paidKopiyky, uint256 fundedKopiyky);

    // ------------------------------------------------------------ council (treasurer)

    /// @notice Starts a new reporting cycle; impact figures accrue to it from now on.
    /// @dev Treasurer only. Emits {CycleOpened}.
    function openCycle(bytes32 label) external returns (uint256 cycleId);

    /// @notice Records capital received from a donor or the local budget.
    /// @dev Treasurer only. Emits {CapitalDeposited}.
    /// @param sourceRef hash identifying the source (donor agreement, budget decision)
    /// @param receiptHash hash of the bank receipt; each receipt once
    function deposit(uint256 amountKopiyky, DepositSource source, bytes32 sourceRef, bytes32 receiptHash)
        external
        returns (uint256 depositId);

    /// @notice Records the payment of a funded project's grant in one go (the project has no loan and no
    /// delivery plan).
    /// @dev Treasurer only. Emits {GrantPaid}.
    function payGrant(uint256 roundId, uint256 projectId, bytes32 receiptHash) external;

    /// @notice Returns a funded project's money to available capital when it will be neither paid as a grant
    /// nor lent (the project was withdrawn, or its loan was approved otherwise); for a project paid in
    /// tranches, what was not yet paid (its plan can pay nothing more).
    /// @dev Treasurer only. Emits {ProjectFundsReleased}.
    function releaseProjectFunds(uint256 roundId, uint256 projectId) external;

    /// @notice Approves a loan application from available capital. @dev Treasurer only. Emits {LoanApproved}.
    function approveLoan(uint256 loanId) external;

    /// @notice Rejects a loan application. @dev Treasurer only. Emits {LoanRejected}.
    function rejectLoan(uint256 loanId, uint16 reasonCode) external;

    /// @notice Cancels an approved loan before disbursement; its money returns to available capital.
    /// @dev Treasurer only. Emits {LoanCancelled}.
    function cancelLoan(uint256 loanId) external;

    /// @notice Records that an approved loan was paid out. @dev Treasurer only. Emits {LoanDisbursed}.
    function disburseLoan(uint256 loanId, bytes32 receiptHash) external;

    /// @notice Records a repayment; never more than is owed. @dev Treasurer only. Emits {LoanRepaid}.
    function recordRepayment(uint256 loanId, uint256 amountKopiyky, bytes32 receiptHash) external;

    /// @notice Writes off what remains of an overdue loan. @dev Treasurer only. Emits {LoanDefaulted}.
    function markDefaulted(uint256 loanId) external;

    // ------------------------------------------------------------ residents and anyone

    /// @notice The calling resident (an entrepreneur) applies for an interest-free loan.
    /// @dev Active residents only. Emits {LoanApplied}.
    /// @param instalments amounts, summing to the principal
    /// @param dueOffsets seconds after disbursement at which each instalment is due, increasing
    function applyForLoan(uint128[] calldata instalments, uint64[] calldata dueOffsets, bytes32 metadataHash)
        external
        returns (uint256 loanId);

    /// @notice Approves a loan by a vote round's result: the project that the applicant pitched with this
    /// loan was funded; the principal becomes the funded amount (the schedule scaled to it).
    /// @dev Anyone may call: the round's result is the authority. Emits {LoanApproved}.
    function approveLoanByRound(uint256 loanId, uint256 roundId, uint256 projectId) external;

    // ------------------------------------------------------------ system contracts

    /// @notice Records a tranche of a planned grant project paid by the council through ProjectDelivery.
    /// @dev ProjectDelivery only; the project funded, not settled, no loan; never beyond the funded amount;
    /// each receipt once. The project is settled when its last kopiyka is paid. Emits {GrantTranchePaid}.
    function payGrantTranche(uint256 roundId, uint256 projectId, uint256 amountKopiyky, bytes32 receiptHash)
        external;

    /// @dev UsefulCaseContract only.
    function reserveForProgramme(uint256 programmeId, uint256 amountKopiyky) external;

    /// @dev UsefulCaseContract only.
    function releaseProgramme(uint256 programmeId, uint256 amountKopiyky) external;

    /// @notice Records `rv` RV issued under programme `programmeId` for `cases` approved cases worth
    /// `caseValueKopiyky` together: their face value moves from the programme's reserve to the token fund.
    /// @dev UsefulCaseContract only. Emits {IssuanceRecorded}.
    function recordIssuance(uint256 programmeId, uint256 cases, uint256 rv, uint256 caseValueKopiyky) external;

    /// @dev BalancedVote only.
    function reserveForRound(uint256 roundId, uint256 amountKopiyky) external;

    /// @dev BalancedVote only.
    function settleRound(uint256 roundId, uint256 fundedKopiyky) external;

    /// @dev BalancedVote only.
    function releaseRound(uint256 roundId) external;

    // ------------------------------------------------------------ views

    function ledger() external view returns (Ledger memory);

    /// @notice The hromada's resident registry.
    function registry() external view returns (IResidentRegistry);

    /// @notice The hromada's balanced vote.
    function balancedVote() external view returns (IBalancedVote);

    /// @notice The hromada's ProjectDelivery, the only contract that pays tranches.
    function delivery() external view returns (address);

    /// @notice Whether a funded project's money was paid (in full), lent or released.
    function isProjectSettled(uint256 roundId, uint256 projectId) external view returns (bool);

    /// @notice What a project was paid in tranches so far.
    function grantTranchesPaid(uint256 roundId, uint256 projectId) external view returns (uint256);

    /// @notice Impact figures of cycle `cycleId`, or of all time for 0.
    function impact(uint256 cycleId) external view returns (Impact memory);

    /// @notice (value of cases + token fund) / token fund, in basis points (45_788 = 4.5788), for cycle
    /// `cycleId` or all time (0); 0 when no RV was issued.
    function impactRatioBps(uint256 cycleId) external view returns (uint256);

    function currentCycle() external view returns (uint256);

    function loan(uint256 loanId) external view returns (Loan memory);

    function loanState(uint256 loanId) external view returns (LoanState);

    /// @notice What is still owed on a loan.
    function outstanding(uint256 loanId) external view returns (uint256);

    function loanCount() external view returns (uint256);

    function programmeReserve(uint256 programmeId) external view returns (uint256);
}
