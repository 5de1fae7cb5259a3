// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {CTSBase} from "./utils/CTSBase.sol";
import {HromadaContracts} from "./interfaces/HromadaContracts.sol";
import {IBalancedVote} from "./interfaces/IBalancedVote.sol";
import {ICommunityFund} from "./interfaces/ICommunityFund.sol";
import {IProjectDelivery} from "./interfaces/IProjectDelivery.sol";
import {IResidentRegistry} from "./interfaces/IResidentRegistry.sol";
import {IRVToken} from "./interfaces/IRVToken.sol";

/// @title Community fund of a hromada
/// @notice See {ICommunityFund} for the ledger and the revolving cycle.
/// @dev Every function that moves money between buckets moves the same amount out of one and into another,
/// so the ledger identity holds after every transaction; deposits are the only inflow.
/// Security considerations: the treasurer (the council) is trusted to record real receipts; the ledger
/// guarantees that what it records is consistent: nothing is spent twice, no loan is repaid beyond what is
/// owed, and no RV is issued beyond the capital reserved for it. Each receipt hash can be used once.
contract CommunityFund is CTSBase, ICommunityFund {
    /// @notice May record deposits, grants, loans and repayments.
    bytes32 public constant TREASURER_ROLE = keccak256("TREASURER_ROLE");
    uint256 public constant MAX_INSTALMENTS = 60;
    uint256 private constant _BPS = 10_000;

    struct RoundReserve {
        uint128 fromTokenFund;
        uint128 fromAvailable;
        bool open;
    }

    IResidentRegistry public registry;
    IRVToken public token;
    address public usefulCases;
    IBalancedVote public balancedVote;

    Ledger private _ledger;
    uint256 private _currentCycle;
    mapping(uint256 cycleId => Impact) private _impact;
    mapping(uint256 programmeId => uint256) private _programmeReserve;
    mapping(uint256 programmeId => bool) private _programmeKnown;
    mapping(uint256 roundId => RoundReserve) private _roundReserve;
    mapping(uint256 roundId => mapping(uint256 projectId => bool)) private _projectSettled;
    mapping(bytes32 receiptHash => bool) private _receiptUsed;
    mapping(uint256 loanId => Loan) private _loans;
    uint256 private _depositCount;
    uint256 private _loanCount;
    /// @notice The hromada's ProjectDelivery: the only caller of {payGrantTranche}.
    address public delivery;
    mapping(uint256 roundId => mapping(uint256 projectId => uint256)) private _tranchesPaid;

    modifier onlyUsefulCases() {
        if (_msgSender() != usefulCases) revert CommunityFundUnauthorised(_msgSender());
        _;
    }

    modifier onlyDelivery() {
        if (_msgSender() != delivery) revert CommunityFundUnauthorised(_msgSender());
        _;
    }

    modifier onlyBalancedVote() {
        if (_msgSender() != address(balancedVote)) revert CommunityFundUnauthorised(_msgSender());
        _;
    }

    /// @param trustedForwarder_ the chain's CTSForwarder
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(address trustedForwarder_) CTSBase(trustedForwarder_) {}

    /// @notice Wires the fund into its hromada, makes the council its admin and treasurer, opens cycle 1.
    /// @dev Called once by HromadaFactory in the transaction that creates the clone.
    function initialize(HromadaContracts calldata contracts, address council) external initializer {
        __AccessControl_init();
        registry = IResidentRegistry(contracts.registry);
        token = IRVToken(contracts.token);
        usefulCases = contracts.usefulCases;
        balancedVote = IBalancedVote(contracts.balancedVote);
        delivery = contracts.delivery;
        _grantRole(DEFAULT_ADMIN_ROLE, council);
        _grantRole(TREASURER_ROLE, council);
        _currentCycle = 1;
        emit CycleOpened(1, bytes32(0));
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc ICommunityFund
    function ledger() external view returns (Ledger memory) {
        return _ledger;
    }

    /// @inheritdoc ICommunityFund
    function impact(uint256 cycleId) external view returns (Impact memory) {
        return _impact[cycleId];
    }

    /// @inheritdoc ICommunityFund
    function impactRatioBps(uint256 cycleId) external view returns (uint256) {
        Impact storage figures = _impact[cycleId];
        if (figures.rvIssuedKopiyky == 0) return 0;
        return Math.mulDiv(figures.casesValueKopiyky + figures.rvIssuedKopiyky, _BPS, figures.rvIssuedKopiyky);
    }

    /// @inheritdoc ICommunityFund
    function currentCycle() external view returns (uint256) {
        return _currentCycle;
    }

    /// @inheritdoc ICommunityFund
    function loan(uint256 loanId) external view returns (Loan memory) {
        return _loan(loanId);
    }

    /// @inheritdoc ICommunityFund
    function loanState(uint256 loanId) public view returns (LoanState) {
        Loan storage l = _loan(loanId);
        if (l.status == LoanStatus.Active) {
            // Overdue when, at some instalment's due time already past, less than the sum due by then was repaid.
            uint256 dueByNow = 0;
            for (uint256 i = 0; i < l.instalments.length; ++i) {
                if (uint256(l.disbursedAt) + l.dueOffsets[i] >= block.timestamp) break;
                dueByNow += l.instalments[i];
            }
            return l.repaid < dueByNow ? LoanState.Overdue : LoanState.Active;
        }
        // The stored statuses other than Active map one to one (LoanState inserts Overdue after Active).
        return LoanState(uint8(l.status) > uint8(LoanStatus.Active) ? uint8(l.status) + 1 : uint8(l.status));
    }

    /// @inheritdoc ICommunityFund
    function outstanding(uint256 loanId) public view returns (uint256) {
        Loan storage l = _loan(loanId);
        if (l.status != LoanStatus.Active) return 0;
        return l.principal - l.repaid;
    }

    /// @inheritdoc ICommunityFund
    function loanCount() external view returns (uint256) {
        return _loanCount;
    }

    /// @inheritdoc ICommunityFund
    function programmeReserve(uint256 programmeId) external view returns (uint256) {
        return _programmeReserve[programmeId];
    }

    /// @notice How a round's fund was reserved, and whether the reserve is still open.
    function roundReserve(uint256 roundId) external view returns (RoundReserve memory) {
        return _roundReserve[roundId];
    }

    /// @inheritdoc ICommunityFund
    function grantTranchesPaid(uint256 roundId, uint256 projectId) external view returns (uint256) {
        return _tranchesPaid[roundId][projectId];
    }

    /// @inheritdoc ICommunityFund
    function isProjectSettled(uint256 roundId, uint256 projectId) external view returns (bool) {
        return _projectSettled[roundId][projectId];
    }

    /// @notice Whether a receipt hash was already recorded.
    function isReceiptUsed(bytes32 receiptHash) external view returns (bool) {
        return _receiptUsed[receiptHash];
    }

    /// @notice Number of deposits recorded.
    function depositCount() external view returns (uint256) {
        return _depositCount;
    }

    // ---------------------------------------------------------------- treasurer

    /// @inheritdoc ICommunityFund
    function openCycle(bytes32 label) external onlyRole(TREASURER_ROLE) returns (uint256 cycleId) {
        cycleId = ++_currentCycle;
        emit CycleOpened(cycleId, label);
    }

    /// @inheritdoc ICommunityFund
    function deposit(uint256 amountKopiyky, DepositSource source, bytes32 sourceRef, bytes32 receiptHash)
        external
        onlyRole(TREASURER_ROLE)
        returns (uint256 depositId)
    {
        if (amountKopiyky == 0) revert CommunityFundZeroAmount();
        if (sourceRef == bytes32(0)) revert CommunityFundZeroHash();
        _useReceipt(receiptHash);
        _ledger.deposits += amountKopiyky;
        _ledger.available += amountKopiyky;
        _accrue().depositsKopiyky += amountKopiyky;
        _impact[0].depositsKopiyky += amountKopiyky;
        depositId = ++_depositCount;
        emit CapitalDeposited(depositId, _currentCycle, source, amountKopiyky, sourceRef, receiptHash);
    }

    /// @inheritdoc ICommunityFund
    function payGrant(uint256 roundId, uint256 projectId, bytes32 receiptHash) external onlyRole(TREASURER_ROLE) {
        IBalancedVote.Project memory p = _payableProject(roundId, projectId);
        if (p.loanId != 0) revert CommunityFundProjectNotPayable(roundId, projectId);
        if (IProjectDelivery(delivery).hasPlan(roundId, projectId)) {
            revert CommunityFundProjectHasPlan(roundId, projectId);
        }
        _useReceipt(receiptHash);
        _projectSettled[roundId][projectId] = true;
        _ledger.committed -= p.funded;
        _ledger.grantsPaid += p.funded;
        _accrue().grantsKopiyky += p.funded;
        _impact[0].grantsKopiyky += p.funded;
        emit GrantPaid(roundId, projectId, p.funded, receiptHash);
    }

    /// @inheritdoc ICommunityFund
    function releaseProjectFunds(uint256 roundId, uint256 projectId) external onlyRole(TREASURER_ROLE) {
        IBalancedVote.Project memory p = _payableProject(roundId, projectId);
        _projectSettled[roundId][projectId] = true;
        // A project paid in tranches releases what its tranches have not paid.
        uint256 unpaid = p.funded - _tranchesPaid[roundId][projectId];
        _ledger.committed -= unpaid;
        _ledger.available += unpaid;
        emit ProjectFundsReleased(roundId, projectId, unpaid);
    }

    /// @inheritdoc ICommunityFund
    function approveLoan(uint256 loanId) external onlyRole(TREASURER_ROLE) {
        Loan storage l = _loanIn(loanId, LoanState.Applied);
        uint256 principal = l.principal;
        if (_ledger.available < principal) revert CommunityFundInsufficientCapital(principal, _ledger.available);
        _ledger.available -= principal;
        _ledger.committed += principal;
        l.status = LoanStatus.Approved;
        emit LoanApproved(loanId, principal, 0, 0);
    }

    /// @inheritdoc ICommunityFund
    function rejectLoan(uint256 loanId, uint16 reasonCode) external onlyRole(TREASURER_ROLE) {
        if (reasonCode == 0) revert CommunityFundZeroReasonCode();
        Loan storage l = _loanIn(loanId, LoanState.Applied);
        l.status = LoanStatus.Rejected;
        emit LoanRejected(loanId, reasonCode);
    }

    /// @inheritdoc ICommunityFund
    function cancelLoan(uint256 loanId) external onlyRole(TREASURER_ROLE) {
        Loan storage l = _loanIn(loanId, LoanState.Approved);
        l.status = LoanStatus.Cancelled;
        _ledger.committed -= l.principal;
        _ledger.available += l.principal;
        emit LoanCancelled(loanId, l.principal);
    }

    /// @inheritdoc ICommunityFund
    function disburseLoan(uint256 loanId, bytes32 receiptHash) external onlyRole(TREASURER_ROLE) {
        Loan storage l = _loanIn(loanId, LoanState.Approved);
        _useReceipt(receiptHash);
        l.status = LoanStatus.Active;
        l.disbursedAt = uint40(block.timestamp);
        _ledger.committed -= l.principal;
        _ledger.loansOutstanding += l.principal;
        _accrue().lentKopiyky += l.principal;
        _impact[0].lentKopiyky += l.principal;
        emit LoanDisbursed(loanId, _currentCycle, l.principal, receiptHash);
    }

    /// @inheritdoc ICommunityFund
    function recordRepayment(uint256 loanId, uint256 amountKopiyky, bytes32 receiptHash)
        external
        onlyRole(TREASURER_ROLE)
    {
        Loan storage l = _loan(loanId);
        LoanState state = loanState(loanId);
        if (state != LoanState.Active && state != LoanState.Overdue) {
            revert CommunityFundUnexpectedLoanState(loanId, state, LoanState.Active);
        }
        if (amountKopiyky == 0) revert CommunityFundZeroAmount();
        uint256 owed = l.principal - l.repaid;
        if (amountKopiyky > owed) revert CommunityFundRepaymentTooLarge(loanId, amountKopiyky, owed);
        _useReceipt(receiptHash);
        l.repaid += uint128(amountKopiyky);
        _ledger.loansOutstanding -= amountKopiyky;
        _ledger.available += amountKopiyky;
        _accrue().repaidKopiyky += amountKopiyky;
        _impact[0].repaidKopiyky += amountKopiyky;
        if (l.repaid == l.principal) l.status = LoanStatus.Repaid;
        emit LoanRepaid(loanId, _currentCycle, amountKopiyky, owed - amountKopiyky, receiptHash);
    }

    /// @inheritdoc ICommunityFund
    function markDefaulted(uint256 loanId) external onlyRole(TREASURER_ROLE) {
        Loan storage l = _loanIn(loanId, LoanState.Overdue);
        uint256 remaining = l.principal - l.repaid;
        l.status = LoanStatus.Defaulted;
        _ledger.loansOutstanding -= remaining;
        _ledger.writtenOff += remaining;
        _accrue().writtenOffKopiyky += remaining;
        _impact[0].writtenOffKopiyky += remaining;
        emit LoanDefaulted(loanId, _currentCycle, remaining);
    }

    // ---------------------------------------------------------------- residents and anyone

    /// @inheritdoc ICommunityFund
    function applyForLoan(uint128[] calldata instalments, uint64[] calldata dueOffsets, bytes32 metadataHash)
        external
        returns (uint256 loanId)
    {
        address applicant = _msgSender();
        uint256 applicantId = registry.requireActive(applicant);
        if (metadataHash == bytes32(0)) revert CommunityFundZeroHash();
        uint256 count = instalments.length;
        if (count == 0 || count > MAX_INSTALMENTS || dueOffsets.length != count) {
            revert CommunityFundInvalidSchedule();
        }
        uint256 principal = 0;
        uint256 previousOffset = 0;
        for (uint256 i = 0; i < count; ++i) {
            if (instalments[i] == 0 || dueOffsets[i] <= previousOffset) revert CommunityFundInvalidSchedule();
            previousOffset = dueOffsets[i];
            principal += instalments[i];
        }
        if (principal > type(uint128).max) revert CommunityFundInvalidSchedule();
        loanId = ++_loanCount;
        Loan storage l = _loans[loanId];
        l.applicantId = uint64(applicantId);
        l.applicant = applicant;
        l.status = LoanStatus.Applied;
        l.appliedAt = uint40(block.timestamp);
        l.principal = uint128(principal);
        l.metadataHash = metadataHash;
        l.instalments = instalments;
        l.dueOffsets = dueOffsets;
        emit LoanApplied(loanId, applicantId, applicant, principal, metadataHash);
    }

    /// @inheritdoc ICommunityFund
    function approveLoanByRound(uint256 loanId, uint256 roundId, uint256 projectId) external {
        Loan storage l = _loanIn(loanId, LoanState.Applied);
        IBalancedVote.Project memory p = _payableProject(roundId, projectId);
        if (p.loanId != loanId || p.proposerId != l.applicantId) {
            revert CommunityFundLoanProjectMismatch(loanId, roundId, projectId);
        }
        _projectSettled[roundId][projectId] = true;
        if (p.funded < l.principal) _scaleSchedule(l, p.funded);
        l.status = LoanStatus.Approved;
        l.roundId = uint64(roundId);
        l.projectId = uint64(projectId);
        // The money is already committed: the round's settlement committed every funded amount.
        emit LoanApproved(loanId, l.principal, roundId, projectId);
    }

    // ---------------------------------------------------------------- system contracts

    /// @inheritdoc ICommunityFund
    function payGrantTranche(uint256 roundId, uint256 projectId, uint256 amountKopiyky, bytes32 receiptHash)
        external
        onlyDelivery
    {
        IBalancedVote.Project memory p = _payableProject(roundId, projectId);
        if (p.loanId != 0) revert CommunityFundProjectNotPayable(roundId, projectId);
        if (amountKopiyky == 0) revert CommunityFundZeroAmount();
        uint256 paid = _tranchesPaid[roundId][projectId] + amountKopiyky;
        if (paid > p.funded) revert CommunityFundOverpaid(roundId, projectId, paid, p.funded);
        _useReceipt(receiptHash);
        _tranchesPaid[roundId][projectId] = paid;
        if (paid == p.funded) _projectSettled[roundId][projectId] = true;
        _ledger.committed -= amountKopiyky;
        _ledger.grantsPaid += amountKopiyky;
        _accrue().grantsKopiyky += amountKopiyky;
        _impact[0].grantsKopiyky += amountKopiyky;
        emit GrantTranchePaid(roundId, projectId, amountKopiyky, paid, receiptHash);
    }

    /// @inheritdoc ICommunityFund
    function reserveForProgramme(uint256 programmeId, uint256 amountKopiyky) external onlyUsefulCases {
        if (_programmeKnown[programmeId]) revert CommunityFundAlreadyReserved(programmeId);
        if (_ledger.available < amountKopiyky) {
            revert CommunityFundInsufficientCapital(amountKopiyky, _ledger.available);
        }
        _programmeKnown[programmeId] = true;
        _programmeReserve[programmeId] = amountKopiyky;
        _ledger.available -= amountKopiyky;
        _ledger.programmeReserves += amountKopiyky;
        emit ProgrammeReserved(programmeId, amountKopiyky);
    }

    /// @inheritdoc ICommunityFund
    function releaseProgramme(uint256 programmeId, uint256 amountKopiyky) external onlyUsefulCases {
        uint256 reserved = _programmeReserve[programmeId];
        if (reserved < amountKopiyky) revert CommunityFundInsufficientReserve(programmeId, amountKopiyky, reserved);
        _programmeReserve[programmeId] = reserved - amountKopiyky;
        _ledger.programmeReserves -= amountKopiyky;
        _ledger.available += amountKopiyky;
        emit ProgrammeReleased(programmeId, amountKopiyky);
    }

    /// @inheritdoc ICommunityFund
    function recordIssuance(uint256 programmeId, uint256 cases, uint256 rv, uint256 caseValueKopiyky)
        external
        onlyUsefulCases
    {
        uint256 kopiyky = rv * token.faceValueKopiyky();
        uint256 reserved = _programmeReserve[programmeId];
        if (reserved < kopiyky) revert CommunityFundInsufficientReserve(programmeId, kopiyky, reserved);
        _programmeReserve[programmeId] = reserved - kopiyky;
        _ledger.programmeReserves -= kopiyky;
        _ledger.tokenFund += kopiyky;
        Impact storage cycle = _accrue();
        Impact storage allTime = _impact[0];
        cycle.casesValueKopiyky += caseValueKopiyky;
        allTime.casesValueKopiyky += caseValueKopiyky;
        cycle.casesApproved += cases;
        allTime.casesApproved += cases;
        cycle.rvIssued += rv;
        allTime.rvIssued += rv;
        cycle.rvIssuedKopiyky += kopiyky;
        allTime.rvIssuedKopiyky += kopiyky;
        emit IssuanceRecorded(programmeId, _currentCycle, cases, rv, kopiyky, caseValueKopiyky);
    }

    /// @inheritdoc ICommunityFund
    function reserveForRound(uint256 roundId, uint256 amountKopiyky) external onlyBalancedVote {
        if (_roundReserve[roundId].open) revert CommunityFundAlreadyReserved(roundId);
        uint256 fromTokenFund = Math.min(_ledger.tokenFund, amountKopiyky);
        uint256 fromAvailable = amountKopiyky - fromTokenFund;
        if (_ledger.available < fromAvailable) {
            revert CommunityFundInsufficientCapital(amountKopiyky, _ledger.tokenFund + _ledger.available);
        }
        _roundReserve[roundId] = RoundReserve(uint128(fromTokenFund), uint128(fromAvailable), true);
        _ledger.tokenFund -= fromTokenFund;
        _ledger.available -= fromAvailable;
        _ledger.roundReserves += amountKopiyky;
        emit RoundReserved(roundId, fromTokenFund, fromAvailable);
    }

    /// @inheritdoc ICommunityFund
    function settleRound(uint256 roundId, uint256 fundedKopiyky) external onlyBalancedVote {
        RoundReserve storage reserve = _openRoundReserve(roundId);
        uint256 total = uint256(reserve.fromTokenFund) + reserve.fromAvailable;
        reserve.open = false;
        _ledger.roundReserves -= total;
        _ledger.committed += fundedKopiyky;
        _ledger.available += total - fundedKopiyky;
        emit RoundSettled(roundId, fundedKopiyky, total - fundedKopiyky);
    }

    /// @inheritdoc ICommunityFund
    function releaseRound(uint256 roundId) external onlyBalancedVote {
        RoundReserve storage reserve = _openRoundReserve(roundId);
        reserve.open = false;
        _ledger.roundReserves -= uint256(reserve.fromTokenFund) + reserve.fromAvailable;
        _ledger.tokenFund += reserve.fromTokenFund;
        _ledger.available += reserve.fromAvailable;
        emit RoundReleased(roundId, reserve.fromTokenFund, reserve.fromAvailable);
    }

    // ---------------------------------------------------------------- internal

    /// @dev The impact figures of the current cycle (the all-time figures are cycle 0).
    function _accrue() private view returns (Impact storage) {
        return _impact[_currentCycle];
    }

    function _useReceipt(bytes32 receiptHash) private {
        if (receiptHash == bytes32(0)) revert CommunityFundZeroHash();
        if (_receiptUsed[receiptHash]) revert CommunityFundDuplicateReceipt(receiptHash);
        _receiptUsed[receiptHash] = true;
    }

    /// @dev A funded, not yet settled project of a finalised round.
    function _payableProject(uint256 roundId, uint256 projectId)
        private
        view
        returns (IBalancedVote.Project memory p)
    {
        if (balancedVote.roundState(roundId) != IBalancedVote.RoundState.Finalised) {
            revert CommunityFundProjectNotPayable(roundId, projectId);
        }
        p = balancedVote.project(roundId, projectId);
        if (p.funded == 0 || _projectSettled[roundId][projectId]) {
            revert CommunityFundProjectNotPayable(roundId, projectId);
        }
    }

    /// @dev Scales a loan's schedule to a smaller principal: each instalment in proportion, rounded down,
    /// the last one taking what rounding left. Zero instalments are kept (their due time still counts).
    function _scaleSchedule(Loan storage l, uint256 newPrincipal) private {
        uint256 oldPrincipal = l.principal;
        uint256 count = l.instalments.length;
        uint256 assigned = 0;
        for (uint256 i = 0; i + 1 < count; ++i) {
            uint256 scaled = Math.mulDiv(l.instalments[i], newPrincipal, oldPrincipal);
            l.instalments[i] = uint128(scaled);
            assigned += scaled;
        }
        l.instalments[count - 1] = uint128(newPrincipal - assigned);
        l.principal = uint128(newPrincipal);
    }

    function _openRoundReserve(uint256 roundId) private view returns (RoundReserve storage reserve) {
        reserve = _roundReserve[roundId];
        if (!reserve.open) revert CommunityFundUnknownRound(roundId);
    }

    function _loan(uint256 loanId) private view returns (Loan storage) {
        if (loanId == 0 || loanId > _loanCount) revert CommunityFundUnknownLoan(loanId);
        return _loans[loanId];
    }

    function _loanIn(uint256 loanId, LoanState expected) private view returns (Loan storage l) {
        l = _loan(loanId);
        LoanState state = loanState(loanId);
        if (state != expected) revert CommunityFundUnexpectedLoanState(loanId, state, expected);
    }
}
