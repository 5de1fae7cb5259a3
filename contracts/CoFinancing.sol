// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {ERC2771ContextUpgradeable} from "@openzeppelin/contracts-upgradeable/metatx/ERC2771ContextUpgradeable.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";

import {HromadaContracts} from "./interfaces/HromadaContracts.sol";
import {IBalancedVote} from "./interfaces/IBalancedVote.sol";
import {ICoFinancing} from "./interfaces/ICoFinancing.sol";
import {ICommunityFund} from "./interfaces/ICommunityFund.sol";

/// @title Co-financing of a hromada's projects by its partners
/// @notice See {ICoFinancing} for the rules; docs/cofinancing.md for the design.
/// @dev A clone per hromada (to be made by HromadaFactory, as ProjectDelivery). It keeps no roles of its own:
/// the council is whoever holds the community fund's TREASURER_ROLE. It moves no money: pledges are promises
/// recorded with their agreements' hashes, fulfilments are the council's record of a receipt.
/// Security considerations: the council is trusted to register real partners and to record real receipts;
/// the contract guarantees that the money pledged to a project cannot change from the opening of voting to
/// the round's end (the co-financing rule reads it at finalisation), that a pledge leaves the Open state once
/// and only by its partner, the council or a lapse the vote's result justifies, and that a receipt is used
/// once. Profiles, agreements and receipts are hashes: their documents live in the service. No Multicall, no
/// self-delegatecall (ERC-2771).
contract CoFinancing is Initializable, ERC2771ContextUpgradeable, ICoFinancing {
    /// @notice The fund's role that acts for the council here.
    bytes32 public constant TREASURER_ROLE = keccak256("TREASURER_ROLE");

    uint8 private constant MAX_SECTOR = 5; // 1 business, 2 local budget, 3 NGO, 4 international donor, 5 diaspora
    uint8 private constant MONEY = 1;
    uint8 private constant MAX_KIND = 5; // 1 money, 2 materials, 3 equipment, 4 labour hours, 5 premises
    uint256 private constant ALL = 0; // the index of every pledge in a project's totals

    ICommunityFund public fund;

    mapping(uint256 partnerId => Partner) private _partners;
    mapping(address account => uint256 partnerId) private _partnerOf;
    mapping(uint256 pledgeId => Pledge) private _pledges;
    mapping(uint256 roundId => mapping(uint256 projectId => uint256)) private _pledgedMoney;
    /// @dev Index ALL counts every pledge made; the others are a PledgeStatus.
    mapping(uint256 roundId => mapping(uint256 projectId => mapping(uint256 index => Tally))) private _totals;
    mapping(bytes32 receiptHash => bool) private _receiptUsed;
    uint256 private _partnerCount;
    uint256 private _pledgeCount;

    modifier onlyTreasurer() {
        address caller = _msgSender();
        if (!IAccessControl(address(fund)).hasRole(TREASURER_ROLE, caller)) {
            revert CoFinancingUnauthorised(caller, TREASURER_ROLE);
        }
        _;
    }

    /// @param trustedForwarder_ the chain's CTSForwarder
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(address trustedForwarder_) ERC2771ContextUpgradeable(trustedForwarder_) {
        _disableInitializers();
    }

    /// @notice Wires the co-financing contract to its hromada's community fund.
    /// @dev Called once, in the transaction that creates the clone.
    function initialize(HromadaContracts calldata contracts) external initializer {
        fund = ICommunityFund(contracts.fund);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc ICoFinancing
    function pledgedMoney(uint256 roundId, uint256 projectId) external view returns (uint256) {
        return _pledgedMoney[roundId][projectId];
    }

    /// @inheritdoc ICoFinancing
    function pledgeTotals(uint256 roundId, uint256 projectId) external view returns (Tally[5] memory totals) {
        for (uint256 i = 0; i < 5; ++i) {
            totals[i] = _totals[roundId][projectId][i];
        }
    }

    /// @inheritdoc ICoFinancing
    function pledgeOf(uint256 pledgeId) external view returns (Pledge memory) {
        return _pledge(pledgeId);
    }

    /// @inheritdoc ICoFinancing
    function partner(uint256 partnerId) external view returns (Partner memory) {
        return _partner(partnerId);
    }

    /// @inheritdoc ICoFinancing
    function partnerOf(address account) external view returns (uint256) {
        return _partnerOf[account];
    }

    /// @inheritdoc ICoFinancing
    function receiptUsed(bytes32 receiptHash) external view returns (bool) {
        return _receiptUsed[receiptHash];
    }

    /// @inheritdoc ICoFinancing
    function pledgeCount() external view returns (uint256) {
        return _pledgeCount;
    }

    /// @inheritdoc ICoFinancing
    function partnerCount() external view returns (uint256) {
        return _partnerCount;
    }

    // ---------------------------------------------------------------- council

    /// @inheritdoc ICoFinancing
    function registerPartner(address account, uint8 sector, bytes32 profileHash)
        external
        onlyTreasurer
        returns (uint256 partnerId)
    {
        if (account == address(0)) revert CoFinancingZeroAddress();
        if (sector == 0 || sector > MAX_SECTOR) revert CoFinancingInvalidSector(sector);
        if (profileHash == bytes32(0)) revert CoFinancingZeroHash();
        uint256 existing = _partnerOf[account];
        if (existing != 0) revert CoFinancingAlreadyPartner(account, existing);
        partnerId = ++_partnerCount;
        _partners[partnerId] = Partner(account, sector, true, profileHash);
        _partnerOf[account] = partnerId;
        emit PartnerRegistered(partnerId, account, sector, profileHash);
    }

    /// @inheritdoc ICoFinancing
    function setPartnerActive(uint256 partnerId, bool active) external onlyTreasurer {
        Partner storage p = _partner(partnerId);
        if (p.active == active) revert CoFinancingPartnerActiveUnchanged(partnerId, active);
        p.active = active;
        emit PartnerActiveSet(partnerId, active);
    }

    /// @inheritdoc ICoFinancing
    function fulfilPledge(uint256 pledgeId, bytes32 receiptHash) external onlyTreasurer {
        Pledge storage p = _openPledge(pledgeId);
        if (receiptHash == bytes32(0)) revert CoFinancingZeroHash();
        if (_receiptUsed[receiptHash]) revert CoFinancingReceiptUsed(receiptHash);
        _receiptUsed[receiptHash] = true;
        p.receiptHash = receiptHash;
        // Money stays in pledgedMoney: fulfilled money is money the project has.
        _move(p, PledgeStatus.Fulfilled);
        emit PledgeFulfilled(pledgeId, p.roundId, p.projectId, receiptHash);
    }

    // ---------------------------------------------------------------- partners

    /// @inheritdoc ICoFinancing
    function pledge(
        uint256 roundId,
        uint256 projectId,
        uint8 kind,
        uint128 valueKopiyky,
        bool conditional,
        bytes32 agreementHash
    ) external returns (uint256 pledgeId) {
        uint256 partnerId = _activePartner();
        if (kind == 0 || kind > MAX_KIND) revert CoFinancingInvalidKind(kind);
        if (valueKopiyky == 0) revert CoFinancingZeroValue();
        if (agreementHash == bytes32(0)) revert CoFinancingZeroHash();
        _requirePledgeable(roundId, projectId, kind);
        pledgeId = ++_pledgeCount;
        // The vote's ids fit: the project exists, so its round and project ids are below the vote's counters.
        _pledges[pledgeId] = Pledge(
            uint64(partnerId),
            uint64(roundId),
            uint64(projectId),
            kind,
            conditional,
            PledgeStatus.Open,
            valueKopiyky,
            agreementHash,
            bytes32(0)
        );
        _add(roundId, projectId, ALL, valueKopiyky);
        _add(roundId, projectId, uint256(PledgeStatus.Open), valueKopiyky);
        if (kind == MONEY) _pledgedMoney[roundId][projectId] += valueKopiyky;
        emit Pledged(roundId, projectId, partnerId, pledgeId, kind, valueKopiyky, conditional, agreementHash);
    }

    /// @inheritdoc ICoFinancing
    function cancelPledge(uint256 pledgeId) external {
        address caller = _msgSender();
        Pledge storage p = _pledge(pledgeId);
        if (_partners[p.partnerId].account != caller) revert CoFinancingNotPledger(caller, pledgeId);
        if (p.status != PledgeStatus.Open) revert CoFinancingPledgeNotOpen(pledgeId, p.status);
        if (p.kind == MONEY) {
            IBalancedVote.RoundState state = fund.balancedVote().roundState(p.roundId);
            // A cancelled round has no vote to keep the money for.
            if (!_moneyOpen(state) && state != IBalancedVote.RoundState.Cancelled) {
                revert CoFinancingMoneyFrozen(p.roundId, state);
            }
            _pledgedMoney[p.roundId][p.projectId] -= p.valueKopiyky;
        }
        _move(p, PledgeStatus.Cancelled);
        emit PledgeCancelled(pledgeId, p.roundId, p.projectId);
    }

    // ---------------------------------------------------------------- anyone

    /// @inheritdoc ICoFinancing
    function lapsePledge(uint256 pledgeId) external {
        Pledge storage p = _openPledge(pledgeId);
        if (!p.conditional) revert CoFinancingUnconditional(pledgeId);
        IBalancedVote vote = fund.balancedVote();
        IBalancedVote.RoundState state = vote.roundState(p.roundId);
        if (state != IBalancedVote.RoundState.Finalised && state != IBalancedVote.RoundState.Cancelled) {
            revert CoFinancingRoundNotClosed(p.roundId, state);
        }
        uint256 funded = vote.project(p.roundId, p.projectId).funded;
        if (funded != 0) revert CoFinancingProjectFunded(p.roundId, p.projectId, funded);
        if (p.kind == MONEY) _pledgedMoney[p.roundId][p.projectId] -= p.valueKopiyky;
        _move(p, PledgeStatus.Lapsed);
        emit PledgeLapsed(pledgeId, p.roundId, p.projectId);
    }

    // ---------------------------------------------------------------- internal

    /// @dev The caller's partner id, if they are an active partner.
    function _activePartner() private view returns (uint256 partnerId) {
        address caller = _msgSender();
        partnerId = _partnerOf[caller];
        if (partnerId == 0) revert CoFinancingNotPartner(caller);
        if (!_partners[partnerId].active) revert CoFinancingPartnerInactive(partnerId);
    }

    /// @dev The project takes a pledge of `kind`: it exists (else the vote's own error), is not ineligible, and
    /// its round is open to pledges (to money pledges, before voting).
    function _requirePledgeable(uint256 roundId, uint256 projectId, uint8 kind) private view {
        IBalancedVote vote = fund.balancedVote();
        IBalancedVote.ProjectStatus status = vote.project(roundId, projectId).status;
        IBalancedVote.RoundState state = vote.roundState(roundId);
        if (state == IBalancedVote.RoundState.Finalised || state == IBalancedVote.RoundState.Cancelled) {
            revert CoFinancingRoundClosed(roundId, state);
        }
        if (kind == MONEY && !_moneyOpen(state)) revert CoFinancingMoneyFrozen(roundId, state);
        if (status == IBalancedVote.ProjectStatus.Ineligible) revert CoFinancingProjectIneligible(roundId, projectId);
    }

    /// @dev Money pledges are made and cancelled while the round is before voting.
    function _moneyOpen(IBalancedVote.RoundState state) private pure returns (bool) {
        return state == IBalancedVote.RoundState.Pitching || state == IBalancedVote.RoundState.Screening;
    }

    /// @dev Moves an open pledge to `to` in its project's totals and stores the new status.
    function _move(Pledge storage p, PledgeStatus to) private {
        uint256 roundId = p.roundId;
        uint256 projectId = p.projectId;
        uint128 value = p.valueKopiyky;
        uint256 open = uint256(PledgeStatus.Open);
        Tally memory t = _totals[roundId][projectId][open];
        // Cannot underflow: the pledge was counted open, with its value, when it was made.
        unchecked {
            _totals[roundId][projectId][open] = Tally(t.count - 1, t.valueKopiyky - value);
        }
        _add(roundId, projectId, uint256(to), value);
        p.status = to;
    }

    /// @dev Counts one more pledge of `value` at `index` of the project's totals.
    function _add(uint256 roundId, uint256 projectId, uint256 index, uint128 value) private {
        Tally memory t = _totals[roundId][projectId][index];
        _totals[roundId][projectId][index] = Tally(t.count + 1, t.valueKopiyky + value);
    }

    function _openPledge(uint256 pledgeId) private view returns (Pledge storage p) {
        p = _pledge(pledgeId);
        if (p.status != PledgeStatus.Open) revert CoFinancingPledgeNotOpen(pledgeId, p.status);
    }

    function _pledge(uint256 pledgeId) private view returns (Pledge storage) {
        if (pledgeId == 0 || pledgeId > _pledgeCount) revert CoFinancingUnknownPledge(pledgeId);
        return _pledges[pledgeId];
    }

    function _partner(uint256 partnerId) private view returns (Partner storage) {
        if (partnerId == 0 || partnerId > _partnerCount) revert CoFinancingUnknownPartner(partnerId);
        return _partners[partnerId];
    }
}
