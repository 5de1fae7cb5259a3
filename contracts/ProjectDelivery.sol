// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ERC2771ContextUpgradeable} from "@openzeppelin/contracts-upgradeable/metatx/ERC2771ContextUpgradeable.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";

import {HromadaContracts} from "./interfaces/HromadaContracts.sol";
import {IBalancedVote} from "./interfaces/IBalancedVote.sol";
import {ICommunityFund} from "./interfaces/ICommunityFund.sol";
import {IProjectDelivery} from "./interfaces/IProjectDelivery.sol";
import {IResidentRegistry} from "./interfaces/IResidentRegistry.sol";

/// @title Delivery of a hromada's funded projects
/// @notice See {IProjectDelivery} for the rules; docs/delivery.md for why this is a contract of its own.
/// @dev A sixth clone per hromada, made by HromadaFactory. It keeps no roles of its own: the council is
/// whoever holds the community fund's TREASURER_ROLE, so granting or revoking the treasurer there is the one
/// place that decides who plans, accepts and pays. Money is recorded by the fund, which trusts only this
/// contract to pay tranches and refuses anything beyond the funded amount.
/// Security considerations: the council is trusted to accept only true reports and to record real
/// receipts; the contract guarantees the order (plan, report, acceptance, every flag answered, payment),
/// that a tranche is paid once and only its planned share, and that residents' flags cannot be removed.
/// Reports, reasons and answers are hashes: their documents live in the service, and anyone holding them
/// can check them against these hashes. No Multicall, no self-delegatecall (ERC-2771).
contract ProjectDelivery is Initializable, ERC2771ContextUpgradeable, IProjectDelivery {
    /// @notice The fund's role that acts for the council here.
    bytes32 public constant TREASURER_ROLE = keccak256("TREASURER_ROLE");
    uint256 public constant MAX_MILESTONES = 24;
    uint256 public constant MAX_RECEIPTS = 64;

    ICommunityFund public fund;

    mapping(uint256 roundId => mapping(uint256 projectId => Milestone[])) private _plans;
    mapping(uint256 roundId => mapping(uint256 projectId => uint256)) private _paid;
    mapping(uint256 reportId => Report) private _reports;
    mapping(uint256 flagId => Flag) private _flags;
    mapping(uint256 reportId => mapping(uint256 residentId => bool)) private _flagged;
    uint256 private _reportCount;
    uint256 private _flagCount;

    modifier onlyTreasurer() {
        address caller = _msgSender();
        if (!IAccessControl(address(fund)).hasRole(TREASURER_ROLE, caller)) {
            revert ProjectDeliveryUnauthorised(caller, TREASURER_ROLE);
        }
        _;
    }

    /// @param trustedForwarder_ the chain's CTSForwarder
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(address trustedForwarder_) ERC2771ContextUpgradeable(trustedForwarder_) {
        _disableInitializers();
    }

    /// @notice Wires the delivery contract to its hromada's community fund.
    /// @dev Called once by HromadaFactory in the transaction that creates the clone.
    function initialize(HromadaContracts calldata contracts) external initializer {
        fund = ICommunityFund(contracts.fund);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IProjectDelivery
    function hasPlan(uint256 roundId, uint256 projectId) external view returns (bool) {
        return _plans[roundId][projectId].length != 0;
    }

    /// @inheritdoc IProjectDelivery
    function plan(uint256 roundId, uint256 projectId) external view returns (Milestone[] memory) {
        return _plans[roundId][projectId];
    }

    /// @inheritdoc IProjectDelivery
    function milestoneState(uint256 roundId, uint256 projectId, uint256 index) public view returns (MilestoneState) {
        Milestone storage m = _milestone(roundId, projectId, index);
        MilestoneStatus status = m.status;
        bool late = block.timestamp > m.dueAt;
        if (late && (status == MilestoneStatus.Planned || status == MilestoneStatus.Reported
                || status == MilestoneStatus.Rejected)) return MilestoneState.Overdue;
        // The stored statuses map one to one (MilestoneState appends Overdue).
        return MilestoneState(uint8(status));
    }

    /// @inheritdoc IProjectDelivery
    function paidKopiyky(uint256 roundId, uint256 projectId) external view returns (uint256) {
        return _paid[roundId][projectId];
    }

    /// @inheritdoc IProjectDelivery
    function report(uint256 reportId) external view returns (Report memory) {
        return _report(reportId);
    }

    /// @inheritdoc IProjectDelivery
    function flag(uint256 flagId) external view returns (Flag memory) {
        if (flagId == 0 || flagId > _flagCount) revert ProjectDeliveryUnknownFlag(flagId);
        return _flags[flagId];
    }

    /// @inheritdoc IProjectDelivery
    function hasFlagged(uint256 reportId, uint256 residentId) external view returns (bool) {
        return _flagged[reportId][residentId];
    }

    /// @inheritdoc IProjectDelivery
    function reportCount() external view returns (uint256) {
        return _reportCount;
    }

    /// @inheritdoc IProjectDelivery
    function flagCount() external view returns (uint256) {
        return _flagCount;
    }

    // ---------------------------------------------------------------- council

    /// @inheritdoc IProjectDelivery
    function setPlan(
        uint256 roundId,
        uint256 projectId,
        uint40[] calldata dueDates,
        uint128[] calldata sharesKopiyky,
        bytes32 planHash
    ) external onlyTreasurer {
        uint256 funded = _plannableFunded(roundId, projectId);
        if (_plans[roundId][projectId].length != 0) revert ProjectDeliveryAlreadyPlanned(roundId, projectId);
        if (planHash == bytes32(0)) revert ProjectDeliveryZeroHash();
        uint256 sum = _planSum(dueDates, sharesKopiyky);
        if (sum != funded) revert ProjectDeliveryShareSumMismatch(sum, funded);
        emit DeliveryPlanSet(roundId, projectId, dueDates.length, funded, planHash);
        for (uint256 i = 0; i < dueDates.length; ++i) {
            _plans[roundId][projectId].push(Milestone(dueDates[i], sharesKopiyky[i], MilestoneStatus.Planned, 0));
            emit MilestonePlanned(roundId, projectId, i, dueDates[i], sharesKopiyky[i]);
        }
    }

    /// @inheritdoc IProjectDelivery
    function acceptReport(uint256 roundId, uint256 projectId, uint256 index) external onlyTreasurer {
        Milestone storage m = _milestoneIn(roundId, projectId, index, MilestoneStatus.Reported);
        m.status = MilestoneStatus.Accepted;
        emit ReportAccepted(roundId, projectId, index, m.reportId);
    }

    /// @inheritdoc IProjectDelivery
    function rejectReport(uint256 roundId, uint256 projectId, uint256 index, uint16 reasonCode)
        external
        onlyTreasurer
    {
        if (reasonCode == 0) revert ProjectDeliveryZeroReasonCode();
        Milestone storage m = _milestoneIn(roundId, projectId, index, MilestoneStatus.Reported);
        m.status = MilestoneStatus.Rejected;
        emit ReportRejected(roundId, projectId, index, m.reportId, reasonCode);
    }

    /// @inheritdoc IProjectDelivery
    function answerFlag(uint256 flagId, bytes32 answerHash) external onlyTreasurer {
        if (flagId == 0 || flagId > _flagCount) revert ProjectDeliveryUnknownFlag(flagId);
        if (answerHash == bytes32(0)) revert ProjectDeliveryZeroHash();
        Flag storage f = _flags[flagId];
        if (f.answered) revert ProjectDeliveryFlagAlreadyAnswered(flagId);
        f.answered = true;
        f.answerHash = answerHash;
        // Cannot underflow: each unanswered flag counted one when it was raised.
        unchecked {
            --_reports[f.reportId].openFlags;
        }
        emit FlagAnswered(flagId, f.reportId, answerHash);
    }

    /// @inheritdoc IProjectDelivery
    function payTranche(uint256 roundId, uint256 projectId, uint256 index, bytes32 receiptHash)
        external
        onlyTreasurer
    {
        Milestone storage m = _milestoneIn(roundId, projectId, index, MilestoneStatus.Accepted);
        uint256 open = _reports[m.reportId].openFlags;
        if (open != 0) revert ProjectDeliveryUnansweredFlags(m.reportId, open);
        uint256 amount = m.shareKopiyky;
        m.status = MilestoneStatus.Paid;
        _paid[roundId][projectId] += amount;
        emit TranchePaid(roundId, projectId, index, amount, receiptHash);
        // The fund checks the receipt and the funded amount, and records the payment in its ledger.
        fund.payGrantTranche(roundId, projectId, amount, receiptHash);
    }

    // ---------------------------------------------------------------- owner and residents

    /// @inheritdoc IProjectDelivery
    function reportMilestone(
        uint256 roundId,
        uint256 projectId,
        uint256 index,
        bytes32 reportHash,
        bytes32[] calldata receiptHashes
    ) external returns (uint256 reportId) {
        address caller = _msgSender();
        Milestone storage m = _milestone(roundId, projectId, index);
        uint256 ownerId = fund.registry().requireActive(caller);
        if (fund.balancedVote().project(roundId, projectId).proposerId != ownerId) {
            revert ProjectDeliveryNotOwner(caller, roundId, projectId);
        }
        if (m.status != MilestoneStatus.Planned && m.status != MilestoneStatus.Rejected) {
            revert ProjectDeliveryUnexpectedMilestoneState(roundId, projectId, index, m.status);
        }
        if (index != 0 && _plans[roundId][projectId][index - 1].status < MilestoneStatus.Accepted) {
            revert ProjectDeliveryOutOfOrder(roundId, projectId, index);
        }
        if (reportHash == bytes32(0)) revert ProjectDeliveryZeroHash();
        uint256 receipts = receiptHashes.length;
        if (receipts > MAX_RECEIPTS) revert ProjectDeliveryTooManyReceipts(receipts, MAX_RECEIPTS);
        for (uint256 i = 0; i < receipts; ++i) {
            if (receiptHashes[i] == bytes32(0)) revert ProjectDeliveryZeroHash();
        }
        reportId = ++_reportCount;
        _reports[reportId] = Report(uint64(roundId), uint64(projectId), uint16(index), 0, 0, reportHash);
        m.status = MilestoneStatus.Reported;
        m.reportId = uint64(reportId);
        emit MilestoneReported(roundId, projectId, index, reportId, ownerId, reportHash, receiptHashes);
    }

    /// @inheritdoc IProjectDelivery
    function flagReport(uint256 reportId, uint16 reasonCode, bytes32 reasonHash) external returns (uint256 flagId) {
        Report storage r = _report(reportId);
        uint256 residentId = fund.registry().requireActive(_msgSender());
        Milestone storage m = _plans[r.roundId][r.projectId][r.index];
        if (m.reportId != reportId || m.status == MilestoneStatus.Paid) {
            revert ProjectDeliveryReportNotFlaggable(reportId);
        }
        if (reasonCode == 0) revert ProjectDeliveryZeroReasonCode();
        if (reasonHash == bytes32(0)) revert ProjectDeliveryZeroHash();
        if (_flagged[reportId][residentId]) revert ProjectDeliveryAlreadyFlagged(reportId, residentId);
        _flagged[reportId][residentId] = true;
        // Cannot overflow: a report has at most as many flags as the registry has residents (< 2^32).
        unchecked {
            ++r.openFlags;
            ++r.flags;
        }
        flagId = ++_flagCount;
        _flags[flagId] = Flag(uint64(reportId), uint64(residentId), reasonCode, false, reasonHash, bytes32(0));
        emit ReportFlagged(flagId, reportId, residentId, reasonCode, reasonHash);
    }

    // ---------------------------------------------------------------- internal

    /// @dev The funded amount of a funded grant project of a finalised round that is not yet paid.
    function _plannableFunded(uint256 roundId, uint256 projectId) private view returns (uint256) {
        IBalancedVote vote = fund.balancedVote();
        if (vote.roundState(roundId) != IBalancedVote.RoundState.Finalised) {
            revert ProjectDeliveryNotPlannable(roundId, projectId);
        }
        IBalancedVote.Project memory p = vote.project(roundId, projectId);
        if (p.funded == 0 || p.loanId != 0 || fund.isProjectSettled(roundId, projectId)) {
            revert ProjectDeliveryNotPlannable(roundId, projectId);
        }
        return p.funded;
    }

    /// @dev The sum of a plan's shares, once its shape is checked: 1 to MAX_MILESTONES milestones, due in
    /// the future at strictly increasing dates, with non-zero shares.
    function _planSum(uint40[] calldata dueDates, uint128[] calldata sharesKopiyky)
        private
        view
        returns (uint256 sum)
    {
        uint256 count = dueDates.length;
        if (count == 0 || count > MAX_MILESTONES || sharesKopiyky.length != count) {
            revert ProjectDeliveryInvalidPlan();
        }
        uint256 previousDue = block.timestamp;
        for (uint256 i = 0; i < count; ++i) {
            if (dueDates[i] <= previousDue || sharesKopiyky[i] == 0) revert ProjectDeliveryInvalidPlan();
            previousDue = dueDates[i];
            sum += sharesKopiyky[i];
        }
    }

    function _milestone(uint256 roundId, uint256 projectId, uint256 index) private view returns (Milestone storage) {
        Milestone[] storage milestones = _plans[roundId][projectId];
        if (milestones.length == 0) revert ProjectDeliveryNoPlan(roundId, projectId);
        if (index >= milestones.length) revert ProjectDeliveryUnknownMilestone(roundId, projectId, index);
        return milestones[index];
    }

    function _milestoneIn(uint256 roundId, uint256 projectId, uint256 index, MilestoneStatus expected)
        private
        view
        returns (Milestone storage m)
    {
        m = _milestone(roundId, projectId, index);
        if (m.status != expected) revert ProjectDeliveryUnexpectedMilestoneState(roundId, projectId, index, m.status);
    }

    function _report(uint256 reportId) private view returns (Report storage) {
        if (reportId == 0 || reportId > _reportCount) revert ProjectDeliveryUnknownReport(reportId);
        return _reports[reportId];
    }
}
