// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";

import {CTSBase} from "./utils/CTSBase.sol";
import {HromadaContracts} from "./interfaces/HromadaContracts.sol";
import {ICommunityFund} from "./interfaces/ICommunityFund.sol";
import {IResidentRegistry} from "./interfaces/IResidentRegistry.sol";
import {IRVToken} from "./interfaces/IRVToken.sol";
import {IUsefulCaseContract} from "./interfaces/IUsefulCaseContract.sol";

/// @title Useful-case programmes of a hromada
/// @notice See {IUsefulCaseContract}. A case is approved when `quorum` verifiers approve it, and rejected
/// as soon as so many reject it that the quorum can no longer be reached (rejections > n - quorum).
/// @dev Caps are checked at the moment of minting, case by case, so no sequence or batch can cross them;
/// a batch is all or nothing. Residents are identified by their registry id, so a resident who migrates to
/// a new key keeps their cases, their earnings towards the per-resident cap, and receives the reward at
/// the new address.
/// Security considerations: verifiers are trusted to check evidence off chain; the contract ensures only
/// that no verifier decides a case twice, their own case, or a case they recorded as coordinator.
contract UsefulCaseContract is CTSBase, IUsefulCaseContract {
    using EnumerableSet for EnumerableSet.AddressSet;

    /// @notice May record cases for residents who are offline.
    bytes32 public constant COORDINATOR_ROLE = keccak256("COORDINATOR_ROLE");
    uint256 public constant MAX_VERIFIERS = 32;
    uint256 public constant MAX_BATCH = 200;
    uint256 public constant MAX_TITLE_BYTES = 200;

    enum Decision {
        None,
        Approved,
        Rejected
    }

    /// @dev RV issued for approved cases of one programme that the fund has not been told of yet (in memory,
    /// for the length of one call).
    struct Issuance {
        uint256 programmeId;
        uint256 cases;
        uint256 rv;
        uint256 caseValueKopiyky;
    }

    IResidentRegistry public registry;
    IRVToken public token;
    ICommunityFund public fund;

    mapping(uint256 programmeId => Programme) private _programmes;
    mapping(uint256 programmeId => EnumerableSet.AddressSet) private _verifiers;
    mapping(uint256 caseId => Case) private _cases;
    mapping(uint256 caseId => mapping(address verifier => Decision)) private _decisions;
    mapping(uint256 programmeId => mapping(uint256 residentId => uint256)) private _earned;
    mapping(bytes32 evidenceHash => uint256 caseId) private _caseByEvidence;
    uint256 private _programmeCount;
    uint256 private _caseCount;

    /// @param trustedForwarder_ the chain's CTSForwarder
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(address trustedForwarder_) CTSBase(trustedForwarder_) {}

    /// @notice Wires the contract into its hromada and makes the council its admin and first coordinator.
    /// @dev Called once by HromadaFactory in the transaction that creates the clone.
    function initialize(HromadaContracts calldata contracts, address council) external initializer {
        __AccessControl_init();
        registry = IResidentRegistry(contracts.registry);
        token = IRVToken(contracts.token);
        fund = ICommunityFund(contracts.fund);
        _grantRole(DEFAULT_ADMIN_ROLE, council);
        _grantRole(COORDINATOR_ROLE, council);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IUsefulCaseContract
    function programme(uint256 programmeId) external view returns (Programme memory) {
        return _programme(programmeId);
    }

    /// @inheritdoc IUsefulCaseContract
    function programmeState(uint256 programmeId) public view returns (ProgrammeState) {
        Programme storage p = _programme(programmeId);
        if (p.status == ProgrammeStatus.Closed) return ProgrammeState.Closed;
        if (p.status == ProgrammeStatus.Paused) return ProgrammeState.Paused;
        if (block.timestamp < p.start) return ProgrammeState.Scheduled;
        if (block.timestamp >= p.end) return ProgrammeState.Ended;
        return ProgrammeState.Open;
    }

    /// @inheritdoc IUsefulCaseContract
    function verifiersOf(uint256 programmeId) external view returns (address[] memory) {
        _programme(programmeId);
        return _verifiers[programmeId].values();
    }

    /// @notice Whether `account` verifies programme `programmeId`.
    function isVerifier(uint256 programmeId, address account) external view returns (bool) {
        return _verifiers[programmeId].contains(account);
    }

    /// @inheritdoc IUsefulCaseContract
    function caseOf(uint256 caseId) external view returns (Case memory) {
        return _case(caseId);
    }

    /// @notice How `verifier` decided case `caseId` while it stays pending (None, Approved, Rejected).
    /// @dev The decision that decides a case is not stored (the case's status refuses any later one): once a
    /// case is approved or rejected, {CaseApprovedBy} and {CaseRejectedBy} say who decided what.
    function decisionOf(uint256 caseId, address verifier) external view returns (Decision) {
        return _decisions[caseId][verifier];
    }

    /// @inheritdoc IUsefulCaseContract
    function earnedBy(uint256 programmeId, uint256 residentId) external view returns (uint256) {
        return _earned[programmeId][residentId];
    }

    /// @inheritdoc IUsefulCaseContract
    function programmeCount() external view returns (uint256) {
        return _programmeCount;
    }

    /// @inheritdoc IUsefulCaseContract
    function caseCount() external view returns (uint256) {
        return _caseCount;
    }

    // ---------------------------------------------------------------- council

    /// @inheritdoc IUsefulCaseContract
    function createProgramme(ProgrammeParams calldata params)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
        returns (uint256 programmeId)
    {
        uint256 titleLength = bytes(params.title).length;
        if (titleLength == 0) revert UsefulCaseEmptyTitle();
        if (titleLength > MAX_TITLE_BYTES) revert UsefulCaseTitleTooLong(titleLength, MAX_TITLE_BYTES);
        if (params.metadataHash == bytes32(0)) revert UsefulCaseZeroHash();
        if (params.rewardPerCase == 0) revert UsefulCaseZeroReward();
        if (params.tokenCap < params.rewardPerCase || params.perResidentCap < params.rewardPerCase
            || params.perResidentCap > params.tokenCap) {
            revert UsefulCaseInvalidCaps(params.rewardPerCase, params.tokenCap, params.perResidentCap);
        }
        if (params.end <= params.start || params.end <= block.timestamp) {
            revert UsefulCaseInvalidWindow(params.start, params.end);
        }
        uint256 verifierCount = params.verifiers.length;
        if (params.quorum == 0 || params.quorum > verifierCount || verifierCount > MAX_VERIFIERS) {
            revert UsefulCaseInvalidQuorum(params.quorum, verifierCount);
        }
        // A case keeps its programme's id in 16 bits (see {Case}).
        if (_programmeCount == type(uint16).max) revert UsefulCaseTooManyProgrammes(type(uint16).max);
        programmeId = ++_programmeCount;
        for (uint256 i = 0; i < verifierCount; ++i) {
            address verifier = params.verifiers[i];
            if (verifier == address(0)) revert UsefulCaseZeroAddress();
            if (!_verifiers[programmeId].add(verifier)) revert UsefulCaseDuplicateVerifier(programmeId, verifier);
        }
        Programme storage p = _programmes[programmeId];
        p.title = params.title;
        p.metadataHash = params.metadataHash;
        p.rewardPerCase = params.rewardPerCase;
        p.caseValueKopiyky = params.caseValueKopiyky;
        p.tokenCap = params.tokenCap;
        p.perResidentCap = params.perResidentCap;
        p.start = params.start;
        p.end = params.end;
        p.quorum = params.quorum;
        fund.reserveForProgramme(programmeId, uint256(params.tokenCap) * token.faceValueKopiyky());
        emit ProgrammeCreated(programmeId, params);
    }

    /// @inheritdoc IUsefulCaseContract
    function pauseProgramme(uint256 programmeId) external onlyRole(DEFAULT_ADMIN_ROLE) {
        Programme storage p = _programme(programmeId);
        if (p.status != ProgrammeStatus.Active) {
            revert UsefulCaseUnexpectedProgrammeState(programmeId, programmeState(programmeId), ProgrammeState.Open);
        }
        p.status = ProgrammeStatus.Paused;
        emit ProgrammePaused(programmeId);
    }

    /// @inheritdoc IUsefulCaseContract
    function resumeProgramme(uint256 programmeId) external onlyRole(DEFAULT_ADMIN_ROLE) {
        Programme storage p = _programme(programmeId);
        if (p.status != ProgrammeStatus.Paused) {
            revert UsefulCaseUnexpectedProgrammeState(programmeId, programmeState(programmeId), ProgrammeState.Paused);
        }
        p.status = ProgrammeStatus.Active;
        emit ProgrammeResumed(programmeId);
    }

    /// @inheritdoc IUsefulCaseContract
    function closeProgramme(uint256 programmeId) external onlyRole(DEFAULT_ADMIN_ROLE) {
        Programme storage p = _programme(programmeId);
        if (p.status == ProgrammeStatus.Closed) {
            revert UsefulCaseUnexpectedProgrammeState(programmeId, ProgrammeState.Closed, ProgrammeState.Open);
        }
        p.status = ProgrammeStatus.Closed;
        uint256 unused = uint256(p.tokenCap - p.rvMinted) * token.faceValueKopiyky();
        if (unused > 0) fund.releaseProgramme(programmeId, unused);
        emit ProgrammeClosed(programmeId, unused);
    }

    /// @inheritdoc IUsefulCaseContract
    function addVerifier(uint256 programmeId, address verifier) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _programme(programmeId);
        if (verifier == address(0)) revert UsefulCaseZeroAddress();
        EnumerableSet.AddressSet storage set = _verifiers[programmeId];
        if (set.length() >= MAX_VERIFIERS) revert UsefulCaseTooManyVerifiers(programmeId, MAX_VERIFIERS);
        if (!set.add(verifier)) revert UsefulCaseDuplicateVerifier(programmeId, verifier);
        emit VerifierAdded(programmeId, verifier);
    }

    /// @inheritdoc IUsefulCaseContract
    function removeVerifier(uint256 programmeId, address verifier) external onlyRole(DEFAULT_ADMIN_ROLE) {
        Programme storage p = _programme(programmeId);
        EnumerableSet.AddressSet storage set = _verifiers[programmeId];
        if (!set.remove(verifier)) revert UsefulCaseNotVerifier(programmeId, verifier);
        if (set.length() < p.quorum) revert UsefulCaseInvalidQuorum(p.quorum, set.length());
        emit VerifierRemoved(programmeId, verifier);
    }

    /// @inheritdoc IUsefulCaseContract
    function setQuorum(uint256 programmeId, uint8 quorum) external onlyRole(DEFAULT_ADMIN_ROLE) {
        Programme storage p = _programme(programmeId);
        uint256 verifierCount = _verifiers[programmeId].length();
        if (quorum == 0 || quorum > verifierCount) revert UsefulCaseInvalidQuorum(quorum, verifierCount);
        p.quorum = quorum;
        emit QuorumChanged(programmeId, quorum);
    }

    // ---------------------------------------------------------------- residents and coordinators

    /// @inheritdoc IUsefulCaseContract
    function submitCase(uint256 programmeId, bytes32 evidenceHash) external returns (uint256 caseId) {
        address resident = _msgSender();
        return _submit(programmeId, resident, registry.requireActive(resident), evidenceHash, resident);
    }

    /// @inheritdoc IUsefulCaseContract
    function recordCase(uint256 programmeId, address resident, bytes32 evidenceHash)
        external
        onlyRole(COORDINATOR_ROLE)
        returns (uint256 caseId)
    {
        return _submit(programmeId, resident, registry.requireActive(resident), evidenceHash, _msgSender());
    }

    // ---------------------------------------------------------------- verifiers

    /// @inheritdoc IUsefulCaseContract
    function approveCase(uint256 caseId) external {
        address verifier = _msgSender();
        Issuance memory issuance = Issuance(0, 0, 0, 0);
        _approve(caseId, verifier, _residentIdOf(verifier), issuance);
        _recordIssuance(issuance);
    }

    /// @inheritdoc IUsefulCaseContract
    function approveCases(uint256[] calldata caseIds) external {
        uint256 size = caseIds.length;
        if (size == 0) revert UsefulCaseEmptyBatch();
        if (size > MAX_BATCH) revert UsefulCaseBatchTooLarge(size, MAX_BATCH);
        address verifier = _msgSender();
        // Who the verifier is as a resident is asked once for the batch, not once per case (2,700 gas each).
        uint256 verifierResidentId = _residentIdOf(verifier);
        // The fund records the batch's issuance once per programme run, not once per case (about 8,000 gas each).
        Issuance memory issuance = Issuance(0, 0, 0, 0);
        for (uint256 i = 0; i < size; ++i) {
            _approve(caseIds[i], verifier, verifierResidentId, issuance);
        }
        _recordIssuance(issuance);
    }

    /// @inheritdoc IUsefulCaseContract
    function rejectCase(uint256 caseId, uint16 reasonCode) external {
        if (reasonCode == 0) revert UsefulCaseZeroReasonCode();
        address verifier = _msgSender();
        Case storage c = _decidableCase(caseId, verifier, _residentIdOf(verifier));
        ++c.rejections;
        emit CaseRejectedBy(caseId, verifier, reasonCode);
        Programme storage p = _programmes[c.programmeId];
        if (_rejectionDecides(c, p)) {
            _markRejected(caseId, c, p);
        } else {
            _decisions[caseId][verifier] = Decision.Rejected;
        }
    }

    /// @inheritdoc IUsefulCaseContract
    function settleCase(uint256 caseId) external {
        Case storage c = _case(caseId);
        if (c.status != CaseStatus.Pending) revert UsefulCaseNotPending(caseId, c.status);
        uint256 programmeId = c.programmeId;
        ProgrammeState state = programmeState(programmeId);
        if (state == ProgrammeState.Paused || state == ProgrammeState.Closed) {
            revert UsefulCaseUnexpectedProgrammeState(programmeId, state, ProgrammeState.Open);
        }
        Programme storage p = _programmes[programmeId];
        if (c.approvals >= p.quorum) {
            Issuance memory issuance = Issuance(0, 0, 0, 0);
            _reward(caseId, c, p, issuance);
            _recordIssuance(issuance);
        } else if (_rejectionDecides(c, p)) {
            _markRejected(caseId, c, p);
        } else {
            revert UsefulCaseNotSettleable(caseId, c.approvals, c.rejections, p.quorum);
        }
    }

    // ---------------------------------------------------------------- internal

    function _submit(
        uint256 programmeId,
        address resident,
        uint256 residentId,
        bytes32 evidenceHash,
        address submittedBy
    ) private returns (uint256 caseId) {
        Programme storage p = _programme(programmeId);
        ProgrammeState state = programmeState(programmeId);
        if (state != ProgrammeState.Open) {
            revert UsefulCaseUnexpectedProgrammeState(programmeId, state, ProgrammeState.Open);
        }
        if (evidenceHash == bytes32(0)) revert UsefulCaseZeroHash();
        uint256 existing = _caseByEvidence[evidenceHash];
        if (existing != 0) revert UsefulCaseDuplicateEvidence(evidenceHash, existing);
        // Refuse early a case that could never be rewarded (the caps are checked again at minting).
        if (uint256(p.rvMinted) + p.rewardPerCase > p.tokenCap) {
            revert UsefulCaseProgrammeCapExceeded(programmeId, p.rvMinted, p.rewardPerCase, p.tokenCap);
        }
        uint256 earned = _earned[programmeId][residentId];
        if (earned + p.rewardPerCase > p.perResidentCap) {
            revert UsefulCaseResidentCapExceeded(programmeId, residentId, earned, p.rewardPerCase, p.perResidentCap);
        }
        caseId = ++_caseCount;
        _cases[caseId] = Case({
            programmeId: SafeCast.toUint16(programmeId),
            residentId: SafeCast.toUint24(residentId),
            approvals: 0,
            rejections: 0,
            status: CaseStatus.Pending,
            submittedAt: SafeCast.toUint32(block.timestamp),
            submittedBy: submittedBy,
            evidenceHash: evidenceHash
        });
        _caseByEvidence[evidenceHash] = caseId;
        ++p.casesSubmitted;
        emit CaseSubmitted(caseId, programmeId, residentId, resident, submittedBy, evidenceHash);
    }

    function _approve(uint256 caseId, address verifier, uint256 verifierResidentId, Issuance memory issuance)
        private
    {
        Case storage c = _decidableCase(caseId, verifier, verifierResidentId);
        ++c.approvals;
        emit CaseApprovedBy(caseId, verifier);
        Programme storage p = _programmes[c.programmeId];
        if (c.approvals >= p.quorum) {
            _reward(caseId, c, p, issuance);
        } else {
            // Only a decision that leaves the case pending is stored: the one that decides it changes the
            // case's status, which refuses every later decision, and its event names the verifier (22,100
            // gas saved on every case with a quorum of one).
            _decisions[caseId][verifier] = Decision.Approved;
        }
    }

    /// @dev Rejected once so many rejected that the quorum can no longer be reached: rejections > n - quorum.
    function _rejectionDecides(Case storage c, Programme storage p) private view returns (bool) {
        uint256 verifierCount = _verifiers[c.programmeId].length();
        return verifierCount < p.quorum || c.rejections > verifierCount - p.quorum;
    }

    function _markRejected(uint256 caseId, Case storage c, Programme storage p) private {
        c.status = CaseStatus.Rejected;
        ++p.casesRejected;
        emit CaseRejected(caseId, c.programmeId, c.residentId);
    }

    /// @dev Rewards an approved case; the fund learns of the RV issued through `issuance`, which
    /// {_recordIssuance} sends once the caller has rewarded every case it decides.
    function _reward(uint256 caseId, Case storage c, Programme storage p, Issuance memory issuance) private {
        uint256 programmeId = c.programmeId;
        uint256 residentId = c.residentId;
        uint256 reward = p.rewardPerCase;
        if (uint256(p.rvMinted) + reward > p.tokenCap) {
            revert UsefulCaseProgrammeCapExceeded(programmeId, p.rvMinted, reward, p.tokenCap);
        }
        uint256 earned = _earned[programmeId][residentId];
        if (earned + reward > p.perResidentCap) {
            revert UsefulCaseResidentCapExceeded(programmeId, residentId, earned, reward, p.perResidentCap);
        }
        c.status = CaseStatus.Approved;
        _earned[programmeId][residentId] = earned + reward;
        p.rvMinted += uint64(reward);
        ++p.casesApproved;
        p.valueApprovedKopiyky += p.caseValueKopiyky;
        // One call for the address and the check; the token trusts it and does not ask the registry again.
        address resident = registry.activeAddressOf(residentId);
        if (resident == address(0)) revert UsefulCaseResidentNotActive(caseId, residentId);
        if (issuance.programmeId != programmeId) {
            _recordIssuance(issuance);
            issuance.programmeId = programmeId;
        }
        ++issuance.cases;
        issuance.rv += reward;
        issuance.caseValueKopiyky += p.caseValueKopiyky;
        token.mint(resident, reward);
        emit CaseApproved(caseId, programmeId, residentId, resident, reward, p.caseValueKopiyky);
    }

    /// @dev The checks shared by approval and rejection: a pending case of a programme that is open or
    /// ended (not paused or closed), a verifier of that programme, who is not the case's resident nor the
    /// coordinator who recorded it, and who has not decided it yet. `verifierResidentId` is the verifier's
    /// resident id (0 if the verifier is no resident), from {_residentIdOf}.
    function _decidableCase(uint256 caseId, address verifier, uint256 verifierResidentId)
        private
        view
        returns (Case storage c)
    {
        c = _case(caseId);
        if (c.status != CaseStatus.Pending) revert UsefulCaseNotPending(caseId, c.status);
        uint256 programmeId = c.programmeId;
        ProgrammeState state = programmeState(programmeId);
        if (state == ProgrammeState.Paused || state == ProgrammeState.Closed) {
            revert UsefulCaseUnexpectedProgrammeState(programmeId, state, ProgrammeState.Open);
        }
        if (!_verifiers[programmeId].contains(verifier)) revert UsefulCaseNotVerifier(programmeId, verifier);
        if (c.submittedBy == verifier || verifierResidentId == c.residentId) {
            revert UsefulCaseSelfApproval(caseId, verifier);
        }
        // A case nobody has decided yet holds no decision of this verifier: the read (2,100 gas) is skipped.
        if ((c.approvals != 0 || c.rejections != 0) && _decisions[caseId][verifier] != Decision.None) {
            revert UsefulCaseAlreadyDecided(caseId, verifier);
        }
    }

    /// @dev Tells the fund of the RV issued for the cases gathered in `issuance` (none: nothing to tell), then
    /// empties it.
    function _recordIssuance(Issuance memory issuance) private {
        if (issuance.cases == 0) return;
        fund.recordIssuance(issuance.programmeId, issuance.cases, issuance.rv, issuance.caseValueKopiyky);
        issuance.cases = 0;
        issuance.rv = 0;
        issuance.caseValueKopiyky = 0;
    }

    /// @dev The resident id registered at `account` (0 if none): whatever its status, a verifier who is the
    /// case's resident under any status may not decide it.
    function _residentIdOf(address account) private view returns (uint256) {
        return registry.residentOf(account).id;
    }

    function _programme(uint256 programmeId) private view returns (Programme storage p) {
        if (programmeId == 0 || programmeId > _programmeCount) revert UsefulCaseUnknownProgramme(programmeId);
        return _programmes[programmeId];
    }

    function _case(uint256 caseId) private view returns (Case storage c) {
        if (caseId == 0 || caseId > _caseCount) revert UsefulCaseUnknownCase(caseId);
        return _cases[caseId];
    }
}
