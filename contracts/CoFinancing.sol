// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ERC2771ContextUpgradeable} from "@openzeppelin/contracts-upgradeable/metatx/ERC2771ContextUpgradeable.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {ReentrancyGuardUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/ReentrancyGuardUpgradeable.sol";

import {HromadaContracts} from "./interfaces/HromadaContracts.sol";
import {IBalancedVote} from "./interfaces/IBalancedVote.sol";
import {ICoFinancing} from "./interfaces/ICoFinancing.sol";
import {ICommunityFund} from "./interfaces/ICommunityFund.sol";

/// @title Co-financing of a hromada's projects by its partners
/// @notice See {ICoFinancing} for the rules; docs/cofinancing.md for the design.
/// @dev A clone per hromada, made by HromadaFactory. It keeps no roles of its own: the council is whoever
/// holds the community fund's TREASURER_ROLE. It moves no hryvnias: pledges are promises recorded with their
/// agreements' hashes, fulfilments are the council's record of a receipt. The one thing it holds is the
/// stablecoin escrow: tokens the council accepted, each pledge's own, paid out once (to the project or back).
/// Security considerations: the council is trusted to register real partners and to record real receipts;
/// the contract guarantees that the money pledged to a project cannot change from the opening of voting to
/// the round's end (the co-financing rule reads it at finalisation), that a pledge leaves the Open state once
/// and only by its partner, the council or a lapse the vote's result justifies, and that a receipt is used
/// once. Escrowed tokens leave only with their pledge's one change of state, to the payee the council names
/// once the vote chose the project or back to the donor; every token-moving function is non-reentrant and
/// writes its state first, and a token that delivers less than pledged is refused. Profiles, agreements and
/// receipts are hashes: their documents live in the service. No Multicall, no self-delegatecall (ERC-2771).
contract CoFinancing is Initializable, ERC2771ContextUpgradeable, ReentrancyGuardUpgradeable, ICoFinancing {
    struct Escrow {
        IERC20 token;
        uint256 amount;
    }

    /// @notice The fund's role that acts for the council here.
    bytes32 public constant TREASURER_ROLE = keccak256("TREASURER_ROLE");

    uint8 private constant MAX_SECTOR = 5; // 1 business, 2 local budget, 3 NGO, 4 international donor, 5 diaspora
    uint8 private constant MONEY = 1;
    uint8 private constant MAX_KIND = 5; // 1 money, 2 materials, 3 equipment, 4 labour hours, 5 premises
    uint8 private constant STABLECOIN = 6; // made only by pledgeToken
    uint256 private constant ALL = 0; // the index of every pledge in a project's totals

    ICommunityFund public fund;

    mapping(uint256 partnerId => Partner) private _partners;
    mapping(address account => uint256 partnerId) private _partnerOf;
    mapping(uint256 pledgeId => Pledge) private _pledges;
    mapping(uint256 roundId => mapping(uint256 projectId => uint256)) private _pledgedMoney;
    /// @dev Index ALL counts every pledge made; the others are a PledgeStatus.
    mapping(uint256 roundId => mapping(uint256 projectId => mapping(uint256 index => Tally))) private _totals;
    mapping(bytes32 receiptHash => bool) private _receiptUsed;
    mapping(address token => bool) private _tokenAccepted;
    mapping(uint256 pledgeId => Escrow) private _escrows;
    mapping(address token => uint256) private _tokenEscrowed;
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
        __ReentrancyGuard_init();
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

    /// @inheritdoc ICoFinancing
    function chosenByVote(uint256 roundId, uint256 projectId) public view returns (bool) {
        IBalancedVote vote = fund.balancedVote();
        IBalancedVote.Project memory p = vote.project(roundId, projectId);
        if (vote.roundState(roundId) != IBalancedVote.RoundState.Finalised) return false;
        if (p.funded != 0) return true;
        // Money pledged only falls after finalisation (lapses), and only for projects not chosen: stable.
        return vote.round(roundId).params.rules.coFinanced && p.status == IBalancedVote.ProjectStatus.Eligible
            && vote.tally(roundId, projectId).weight > 0 && _pledgedMoney[roundId][projectId] >= p.askKopiyky;
    }

    /// @inheritdoc ICoFinancing
    function tokenAccepted(address token) external view returns (bool) {
        return _tokenAccepted[token];
    }

    /// @inheritdoc ICoFinancing
    function escrowOf(uint256 pledgeId) external view returns (IERC20 token, uint256 amount) {
        _pledge(pledgeId);
        Escrow storage e = _escrows[pledgeId];
        return (e.token, e.amount);
    }

    /// @inheritdoc ICoFinancing
    function tokenEscrowed(address token) external view returns (uint256) {
        return _tokenEscrowed[token];
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
        if (p.kind == STABLECOIN) revert CoFinancingWrongPledgeKind(pledgeId, p.kind);
        _fulfil(pledgeId, p, receiptHash);
    }

    /// @inheritdoc ICoFinancing
    function acceptToken(address token, bool accepted) external onlyTreasurer {
        if (token == address(0)) revert CoFinancingZeroAddress();
        if (_tokenAccepted[token] == accepted) revert CoFinancingTokenUnchanged(token, accepted);
        _tokenAccepted[token] = accepted;
        emit TokenAccepted(token, accepted);
    }

    /// @inheritdoc ICoFinancing
    function releaseToken(uint256 pledgeId, address to, bytes32 receiptHash) external onlyTreasurer nonReentrant {
        Pledge storage p = _openPledge(pledgeId);
        if (p.kind != STABLECOIN) revert CoFinancingWrongPledgeKind(pledgeId, p.kind);
        if (to == address(0)) revert CoFinancingZeroAddress();
        if (!chosenByVote(p.roundId, p.projectId)) revert CoFinancingProjectNotChosen(p.roundId, p.projectId);
        _fulfil(pledgeId, p, receiptHash);
        _payOut(pledgeId, to);
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
        if (kind == 0 || kind > MAX_KIND) revert CoFinancingInvalidKind(kind);
        pledgeId = _record(roundId, projectId, kind, valueKopiyky, conditional, agreementHash);
        if (kind == MONEY) _pledgedMoney[roundId][projectId] += valueKopiyky;
    }

    /// @inheritdoc ICoFinancing
    function pledgeToken(
        uint256 roundId,
        uint256 projectId,
        IERC20 token,
        uint256 amount,
        uint128 valueKopiyky,
        bytes32 agreementHash
    ) external nonReentrant returns (uint256 pledgeId) {
        if (!_tokenAccepted[address(token)]) revert CoFinancingTokenNotAccepted(address(token));
        if (amount == 0) revert CoFinancingZeroValue();
        pledgeId = _record(roundId, projectId, STABLECOIN, valueKopiyky, true, agreementHash);
        _escrows[pledgeId] = Escrow(token, amount);
        _tokenEscrowed[address(token)] += amount;
        emit TokenEscrowed(pledgeId, address(token), amount);
        // The pledge is written first; the whole call reverts unless exactly `amount` arrives.
        uint256 before = token.balanceOf(address(this));
        SafeERC20.safeTransferFrom(token, _msgSender(), address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != amount) revert CoFinancingTokenAmountMismatch(amount, received);
    }

    /// @inheritdoc ICoFinancing
    function cancelPledge(uint256 pledgeId) external nonReentrant {
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
        } else if (p.kind == STABLECOIN) {
            // Once the round is finalised the tokens are the project's (chosen) or the lapse's (not chosen).
            IBalancedVote.RoundState state = fund.balancedVote().roundState(p.roundId);
            if (state == IBalancedVote.RoundState.Finalised) revert CoFinancingEscrowLocked(p.roundId, state);
        }
        _move(p, PledgeStatus.Cancelled);
        emit PledgeCancelled(pledgeId, p.roundId, p.projectId);
        if (p.kind == STABLECOIN) _payOut(pledgeId, caller);
    }

    // ---------------------------------------------------------------- anyone

    /// @inheritdoc ICoFinancing
    function lapsePledge(uint256 pledgeId) external nonReentrant {
        Pledge storage p = _openPledge(pledgeId);
        if (!p.conditional) revert CoFinancingUnconditional(pledgeId);
        IBalancedVote.RoundState state = fund.balancedVote().roundState(p.roundId);
        if (state != IBalancedVote.RoundState.Finalised && state != IBalancedVote.RoundState.Cancelled) {
            revert CoFinancingRoundNotClosed(p.roundId, state);
        }
        if (chosenByVote(p.roundId, p.projectId)) revert CoFinancingProjectChosen(p.roundId, p.projectId);
        if (p.kind == MONEY) _pledgedMoney[p.roundId][p.projectId] -= p.valueKopiyky;
        _move(p, PledgeStatus.Lapsed);
        emit PledgeLapsed(pledgeId, p.roundId, p.projectId);
        if (p.kind == STABLECOIN) _payOut(pledgeId, _partners[p.partnerId].account);
    }

    // ---------------------------------------------------------------- internal

    /// @dev Checks and records a new open pledge of the calling active partner; emits {Pledged}.
    function _record(
        uint256 roundId,
        uint256 projectId,
        uint8 kind,
        uint128 valueKopiyky,
        bool conditional,
        bytes32 agreementHash
    ) private returns (uint256 pledgeId) {
        uint256 partnerId = _activePartner();
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
        emit Pledged(roundId, projectId, partnerId, pledgeId, kind, valueKopiyky, conditional, agreementHash);
    }

    /// @dev Records an open pledge fulfilled with a receipt used once; emits {PledgeFulfilled}.
    function _fulfil(uint256 pledgeId, Pledge storage p, bytes32 receiptHash) private {
        if (receiptHash == bytes32(0)) revert CoFinancingZeroHash();
        if (_receiptUsed[receiptHash]) revert CoFinancingReceiptUsed(receiptHash);
        _receiptUsed[receiptHash] = true;
        p.receiptHash = receiptHash;
        // Money stays in pledgedMoney: fulfilled money is money the project has.
        _move(p, PledgeStatus.Fulfilled);
        emit PledgeFulfilled(pledgeId, p.roundId, p.projectId, receiptHash);
    }

    /// @dev Pays a stablecoin pledge's escrow out to `to`, once: the pledge has just left the Open state.
    function _payOut(uint256 pledgeId, address to) private {
        Escrow memory e = _escrows[pledgeId];
        _tokenEscrowed[address(e.token)] -= e.amount;
        emit TokenPaidOut(pledgeId, address(e.token), to, e.amount);
        SafeERC20.safeTransfer(e.token, to, e.amount);
    }

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
