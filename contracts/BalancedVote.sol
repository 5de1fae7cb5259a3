// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {CTSBase} from "./utils/CTSBase.sol";
import {HromadaContracts} from "./interfaces/HromadaContracts.sol";
import {IBalancedVote} from "./interfaces/IBalancedVote.sol";
import {ICoFinancing} from "./interfaces/ICoFinancing.sol";
import {ICommunityFund} from "./interfaces/ICommunityFund.sol";
import {IResidentRegistry} from "./interfaces/IResidentRegistry.sol";
import {IRVToken} from "./interfaces/IRVToken.sol";
import {Allocation} from "./libraries/Allocation.sol";
import {QuadraticMath} from "./libraries/QuadraticMath.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

/// @title Balanced vote of a hromada
/// @notice See {IBalancedVote}.
/// @dev Ballots are kept per resident id, not per address, so a resident who migrates to a new key keeps
/// (and can revise) their ballot. A ballot is stored as a bitmap of project ids plus the credits per
/// project; a round holds at most MAX_PROJECTS projects, which bounds every loop, finalisation included.
/// Security considerations: the RV escrowed by a round is pulled from the resident only by the resident's
/// own ballot; it leaves the round only as a refund of a revision or withdrawal, a refund after
/// cancellation (to the resident's current address), or the burn at finalisation.
contract BalancedVote is CTSBase, IBalancedVote {
    /// @notice Most projects in one round; finalisation at this size stays far below a block's gas limit.
    uint256 public constant MAX_PROJECTS = 128;

    /// @dev One storage word: a bit per project (MAX_PROJECTS = 128), the escrowed total, the refund.
    struct Voter {
        uint128 mask;
        uint64 total;
        bool refunded;
    }

    IResidentRegistry public registry;
    IRVToken public token;
    ICommunityFund public fund;
    /// @notice The hromada's co-financing, read by rounds under the co-financing rule.
    ICoFinancing public coFinancing;

    mapping(uint256 roundId => Round) private _rounds;
    mapping(uint256 roundId => mapping(uint256 projectId => Project)) private _projects;
    mapping(uint256 roundId => mapping(uint256 projectId => Tally)) private _tallies;
    mapping(uint256 roundId => mapping(uint256 residentId => Voter)) private _voters;
    /// @dev A resident's credits per project, project i at index i-1: a fixed array of uint64 packs four
    /// projects into one storage word, so a ballot over neighbouring projects writes one word, not four.
    // Slither takes a mapping to a fixed array for a state variable never written; _setCredits writes it.
    // slither-disable-next-line uninitialized-state
    mapping(uint256 roundId => mapping(uint256 residentId => uint64[MAX_PROJECTS])) private _credits;
    uint256 private _roundCount;

    /// @param trustedForwarder_ the chain's CTSForwarder
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(address trustedForwarder_) CTSBase(trustedForwarder_) {}

    /// @notice Wires the contract into its hromada and makes the council its admin.
    /// @dev Called once by HromadaFactory in the transaction that creates the clone.
    function initialize(HromadaContracts calldata contracts, address council) external initializer {
        __AccessControl_init();
        registry = IResidentRegistry(contracts.registry);
        token = IRVToken(contracts.token);
        fund = ICommunityFund(contracts.fund);
        coFinancing = ICoFinancing(contracts.coFinancing);
        _grantRole(DEFAULT_ADMIN_ROLE, council);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IBalancedVote
    function round(uint256 roundId) external view returns (Round memory) {
        return _round(roundId);
    }

    /// @inheritdoc IBalancedVote
    function roundState(uint256 roundId) public view returns (RoundState) {
        Round storage r = _round(roundId);
        if (r.cancelled) return RoundState.Cancelled;
        if (r.finalised) return RoundState.Finalised;
        if (block.timestamp < r.params.pitchStart) return RoundState.Scheduled;
        if (block.timestamp < r.params.pitchEnd) return RoundState.Pitching;
        if (block.timestamp < r.params.screenEnd) return RoundState.Screening;
        if (block.timestamp < r.params.voteEnd) return RoundState.Voting;
        return RoundState.Tallying;
    }

    /// @inheritdoc IBalancedVote
    function project(uint256 roundId, uint256 projectId) external view returns (Project memory) {
        return _project(roundId, projectId);
    }

    /// @inheritdoc IBalancedVote
    function tally(uint256 roundId, uint256 projectId) external view returns (Tally memory) {
        _project(roundId, projectId);
        return _tallies[roundId][projectId];
    }

    /// @inheritdoc IBalancedVote
    function ballotOf(uint256 roundId, uint256 residentId)
        external
        view
        returns (uint256[] memory projectIds, uint256[] memory credits)
    {
        Round storage r = _round(roundId);
        uint256 mask = _voters[roundId][residentId].mask;
        uint256 size = 0;
        for (uint256 m = mask; m != 0; m &= m - 1) ++size;
        projectIds = new uint256[](size);
        credits = new uint256[](size);
        uint256 k = 0;
        for (uint256 id = 1; id <= r.projectCount && k < size; ++id) {
            if (mask & _bit(id) != 0) {
                projectIds[k] = id;
                credits[k] = _credits[roundId][residentId][id - 1];
                ++k;
            }
        }
    }

    /// @notice Escrow and refund record of a resident in a round.
    function voterOf(uint256 roundId, uint256 residentId) external view returns (Voter memory) {
        _round(roundId);
        return _voters[roundId][residentId];
    }

    /// @inheritdoc IBalancedVote
    function previewAllocation(uint256 roundId) public view returns (uint256[] memory funded, uint256 total) {
        Round storage r = _round(roundId);
        uint256 n = r.projectCount;
        uint256[] memory weights = new uint256[](n);
        uint256[] memory asks = new uint256[](n);
        bool coFinanced = r.params.rules.coFinanced;
        for (uint256 i = 0; i < n; ++i) {
            Project storage p = _projects[roundId][i + 1];
            if (p.status == ProjectStatus.Eligible) {
                weights[i] = _tallies[roundId][i + 1].weight;
                asks[i] = p.askKopiyky;
                // The gap: money pledged beyond the ask leaves nothing for the fund to give.
                if (coFinanced) asks[i] -= Math.min(asks[i], coFinancing.pledgedMoney(roundId, i + 1));
            }
        }
        AllocationRule rule = r.params.rules.rule;
        if (rule == AllocationRule.GreedyByWeight) {
            return Allocation.greedyByWeight(r.params.fundKopiyky, weights, asks);
        }
        if (rule == AllocationRule.QuadraticFunding) {
            // weight < 2^128, so its square fits in 256 bits.
            for (uint256 i = 0; i < n; ++i) {
                weights[i] = weights[i] * weights[i];
            }
        }
        return Allocation.cappedProportional(r.params.fundKopiyky, weights, asks);
    }

    /// @inheritdoc IBalancedVote
    function roundCount() external view returns (uint256) {
        return _roundCount;
    }

    // ---------------------------------------------------------------- council

    /// @inheritdoc IBalancedVote
    function createRound(RoundParams calldata params)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
        returns (uint256 roundId)
    {
        if (params.fundKopiyky == 0) revert BalancedVoteZeroAmount();
        if (params.metadataHash == bytes32(0)) revert BalancedVoteZeroHash();
        if (
            params.pitchStart >= params.pitchEnd || params.pitchEnd >= params.screenEnd
                || params.screenEnd >= params.voteEnd || params.voteEnd <= block.timestamp
        ) revert BalancedVoteInvalidWindows();
        if (params.maxProjects == 0 || params.maxProjects > MAX_PROJECTS) {
            revert BalancedVoteInvalidMaxProjects(params.maxProjects, MAX_PROJECTS);
        }
        _checkRules(params.rules, params.maxProjects);
        roundId = ++_roundCount;
        _rounds[roundId].params = params;
        fund.reserveForRound(roundId, params.fundKopiyky);
        emit RoundCreated(roundId, params);
    }

    /// @inheritdoc IBalancedVote
    function setRules(uint256 roundId, Rules calldata rules) external onlyRole(DEFAULT_ADMIN_ROLE) {
        Round storage r = _round(roundId);
        _requireBeforeVoting(roundId);
        _checkRules(rules, r.params.maxProjects);
        r.params.rules = rules;
        emit RulesSet(roundId, rules);
    }

    /// @inheritdoc IBalancedVote
    function screenProject(uint256 roundId, uint256 projectId, bool eligible, uint16 reasonCode)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
    {
        Project storage p = _project(roundId, projectId);
        _requireBeforeVoting(roundId);
        if (!eligible && reasonCode == 0) revert BalancedVoteZeroReasonCode();
        p.status = eligible ? ProjectStatus.Eligible : ProjectStatus.Ineligible;
        p.reasonCode = reasonCode;
        emit ProjectScreened(roundId, projectId, eligible, reasonCode);
    }

    /// @inheritdoc IBalancedVote
    function cancelRound(uint256 roundId) external onlyRole(DEFAULT_ADMIN_ROLE) {
        Round storage r = _round(roundId);
        RoundState state = roundState(roundId);
        if (state == RoundState.Finalised || state == RoundState.Cancelled) {
            revert BalancedVoteUnexpectedRoundState(roundId, state, RoundState.Voting);
        }
        r.cancelled = true;
        fund.releaseRound(roundId);
        emit RoundCancelled(roundId, r.escrowed);
    }

    // ---------------------------------------------------------------- residents

    /// @inheritdoc IBalancedVote
    function pitchProject(uint256 roundId, uint128 askKopiyky, bytes32 metadataHash, uint256 loanId)
        external
        returns (uint256 projectId)
    {
        Round storage r = _round(roundId);
        _requireState(roundId, RoundState.Pitching);
        address proposer = _msgSender();
        uint256 proposerId = registry.requireActive(proposer);
        if (askKopiyky == 0) revert BalancedVoteZeroAmount();
        if (askKopiyky > r.params.fundKopiyky) revert BalancedVoteAskExceedsFund(askKopiyky, r.params.fundKopiyky);
        if (metadataHash == bytes32(0)) revert BalancedVoteZeroHash();
        if (r.projectCount >= r.params.maxProjects) revert BalancedVoteRoundFull(roundId, r.params.maxProjects);
        if (loanId != 0) {
            // An unknown loan is no application of the proposer's either (and fund.loan would revert for it).
            if (loanId > fund.loanCount()) revert BalancedVoteLoanMismatch(loanId);
            ICommunityFund.Loan memory application = fund.loan(loanId);
            if (
                application.applicantId != proposerId || application.status != ICommunityFund.LoanStatus.Applied
                    || application.principal != askKopiyky
            ) revert BalancedVoteLoanMismatch(loanId);
        }
        projectId = ++r.projectCount;
        _projects[roundId][projectId] = Project({
            proposerId: uint64(proposerId),
            proposer: proposer,
            askKopiyky: askKopiyky,
            metadataHash: metadataHash,
            status: ProjectStatus.Pitched,
            reasonCode: 0,
            loanId: uint64(loanId),
            funded: 0
        });
        emit ProjectPitched(roundId, projectId, proposerId, proposer, askKopiyky, metadataHash, loanId);
    }

    /// @inheritdoc IBalancedVote
    function castBallot(uint256 roundId, uint256[] calldata projectIds, uint256[] calldata credits) external {
        Round storage r = _round(roundId);
        _requireState(roundId, RoundState.Voting);
        address resident = _msgSender();
        uint256 residentId = registry.requireActive(resident);
        (uint256 newMask, uint256 newTotal) = _checkBallot(roundId, r.params.rules, projectIds, credits);
        Voter storage voter = _voters[roundId][residentId];
        // Both totals are bounded by RV balances, which fit in 64 bits (decimals 0).
        if (newTotal > voter.total) {
            uint256 needed = newTotal - voter.total;
            uint256 balance = token.balanceOf(resident);
            if (balance < needed) revert BalancedVoteInsufficientRV(resident, needed, balance);
        }

        _removeProjects(roundId, residentId, voter.mask & ~newMask);
        for (uint256 k = 0; k < projectIds.length; ++k) {
            _setCredits(roundId, residentId, projectIds[k], credits[k]);
        }
        voter.mask = uint128(newMask); // before the token moves (checks, effects, interactions)
        _settleEscrow(r, voter, resident, newTotal);
        emit BallotCast(roundId, residentId, resident, projectIds, credits, newTotal);
    }

    /// @inheritdoc IBalancedVote
    function withdrawBallot(uint256 roundId) external {
        Round storage r = _round(roundId);
        _requireState(roundId, RoundState.Voting);
        address resident = _msgSender();
        uint256 residentId = registry.requireActive(resident);
        Voter storage voter = _voters[roundId][residentId];
        if (voter.total == 0) revert BalancedVoteNoBallot(roundId, residentId);
        _removeProjects(roundId, residentId, voter.mask);
        voter.mask = 0;
        _settleEscrow(r, voter, resident, 0);
        emit BallotCast(roundId, residentId, resident, new uint256[](0), new uint256[](0), 0);
    }

    // ---------------------------------------------------------------- anyone

    /// @inheritdoc IBalancedVote
    function finalise(uint256 roundId) external {
        Round storage r = _round(roundId);
        _requireState(roundId, RoundState.Tallying);
        (uint256[] memory funded, uint256 total) = previewAllocation(roundId);
        for (uint256 i = 0; i < funded.length; ++i) {
            if (funded[i] > 0) {
                uint256 projectId = i + 1;
                _projects[roundId][projectId].funded = uint128(funded[i]);
                emit ProjectFunded(roundId, projectId, _tallies[roundId][projectId].weight, funded[i]);
            }
        }
        uint256 burned = r.escrowed;
        r.finalised = true;
        r.totalFunded = uint128(total);
        r.rvBurned = uint128(burned);
        r.escrowed = 0;
        if (burned > 0) token.burn(burned);
        fund.settleRound(roundId, total);
        emit RoundFinalised(roundId, total, r.params.fundKopiyky - total, burned);
    }

    /// @inheritdoc IBalancedVote
    function refund(uint256 roundId, uint256[] calldata residentIds) external {
        Round storage r = _round(roundId);
        _requireState(roundId, RoundState.Cancelled);
        for (uint256 k = 0; k < residentIds.length; ++k) {
            uint256 residentId = residentIds[k];
            Voter storage voter = _voters[roundId][residentId];
            if (voter.refunded || voter.total == 0) continue;
            voter.refunded = true;
            r.escrowed -= voter.total;
            address account = registry.addressOf(residentId);
            // The token is the hromada's own RVToken clone (no hooks, nothing untrusted is called); this
            // voter's state is written above, before the call. Slither sees the next voter's write after it.
            // slither-disable-next-line reentrancy-no-eth
            SafeERC20.safeTransfer(token, account, voter.total);
            emit RefundPaid(roundId, residentId, account, voter.total);
        }
    }

    // ---------------------------------------------------------------- internal

    /// @dev Moves the difference between the voter's escrow and `newTotal`, in either direction.
    function _settleEscrow(Round storage r, Voter storage voter, address resident, uint256 newTotal) private {
        uint256 oldTotal = voter.total;
        if (oldTotal == 0 && newTotal > 0) ++r.voters;
        if (oldTotal > 0 && newTotal == 0) --r.voters;
        voter.total = uint64(newTotal);
        if (newTotal > oldTotal) {
            r.escrowed += uint128(newTotal - oldTotal);
            token.pullFromResident(resident, newTotal - oldTotal);
        } else if (newTotal < oldTotal) {
            r.escrowed -= uint128(oldTotal - newTotal);
            SafeERC20.safeTransfer(token, resident, oldTotal - newTotal);
        }
    }

    /// @dev Sets the resident's credits on every project of `removed` (bit i-1 = project i) to zero.
    function _removeProjects(uint256 roundId, uint256 residentId, uint256 removed) private {
        for (uint256 projectId = 1; removed != 0; ++projectId) {
            if (removed & 1 != 0) _setCredits(roundId, residentId, projectId, 0);
            removed >>= 1;
        }
    }

    /// @dev Updates the resident's credits on one project and the project's tally by the difference.
    function _setCredits(uint256 roundId, uint256 residentId, uint256 projectId, uint256 newCredits) private {
        uint64[MAX_PROJECTS] storage residentCredits = _credits[roundId][residentId];
        uint256 oldCredits = residentCredits[projectId - 1];
        if (oldCredits == newCredits) return;
        Tally storage t = _tallies[roundId][projectId];
        t.weight = uint128(t.weight - QuadraticMath.weight(oldCredits) + QuadraticMath.weight(newCredits));
        t.credits = uint64(t.credits - oldCredits + newCredits);
        if (oldCredits == 0) ++t.supporters;
        else if (newCredits == 0) --t.supporters;
        residentCredits[projectId - 1] = uint64(newCredits);
    }

    /// @dev Checks a ballot against the round's projects and rules; returns its bitmap and total credits.
    function _checkBallot(
        uint256 roundId,
        Rules storage rules,
        uint256[] calldata projectIds,
        uint256[] calldata credits
    ) private view returns (uint256 newMask, uint256 newTotal) {
        uint256 size = projectIds.length;
        if (size == 0) revert BalancedVoteEmptyBallot();
        if (size != credits.length) revert BalancedVoteLengthMismatch(size, credits.length);
        if (size < rules.minProjectsPerBallot || size > rules.maxProjectsPerBallot) {
            revert BalancedVoteBallotSize(size, rules.minProjectsPerBallot, rules.maxProjectsPerBallot);
        }
        uint256 previousId = 0;
        for (uint256 k = 0; k < size; ++k) {
            uint256 projectId = projectIds[k];
            if (k > 0) {
                if (projectId == previousId) revert BalancedVoteDuplicateProject(projectId);
                if (projectId < previousId) revert BalancedVoteProjectsNotSorted(projectId, previousId);
            }
            previousId = projectId;
            if (_project(roundId, projectId).status != ProjectStatus.Eligible) {
                revert BalancedVoteProjectNotEligible(roundId, projectId);
            }
            uint256 amount = credits[k];
            if (amount == 0) revert BalancedVoteZeroCredits(projectId);
            uint256 cap = rules.maxCreditsPerProject == 0 ? type(uint64).max : rules.maxCreditsPerProject;
            if (amount > cap) revert BalancedVoteCreditsAboveCap(projectId, amount, cap);
            newMask |= _bit(projectId);
            newTotal += amount;
        }
    }

    function _checkRules(Rules calldata rules, uint256 maxProjects) private pure {
        if (
            rules.minProjectsPerBallot == 0 || rules.maxProjectsPerBallot < rules.minProjectsPerBallot
                || rules.maxProjectsPerBallot > maxProjects
        ) revert BalancedVoteInvalidRules(rules.minProjectsPerBallot, rules.maxProjectsPerBallot);
    }

    function _requireState(uint256 roundId, RoundState expected) private view {
        RoundState state = roundState(roundId);
        if (state != expected) revert BalancedVoteUnexpectedRoundState(roundId, state, expected);
    }

    function _requireBeforeVoting(uint256 roundId) private view {
        RoundState state = roundState(roundId);
        if (state != RoundState.Scheduled && state != RoundState.Pitching && state != RoundState.Screening) {
            revert BalancedVoteUnexpectedRoundState(roundId, state, RoundState.Screening);
        }
    }

    function _round(uint256 roundId) private view returns (Round storage) {
        if (roundId == 0 || roundId > _roundCount) revert BalancedVoteUnknownRound(roundId);
        return _rounds[roundId];
    }

    function _project(uint256 roundId, uint256 projectId) private view returns (Project storage) {
        if (projectId == 0 || projectId > _round(roundId).projectCount) {
            revert BalancedVoteUnknownProject(roundId, projectId);
        }
        return _projects[roundId][projectId];
    }

    function _bit(uint256 projectId) private pure returns (uint256) {
        return uint256(1) << (projectId - 1);
    }
}
