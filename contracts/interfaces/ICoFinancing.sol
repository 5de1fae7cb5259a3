// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

import {IBalancedVote} from "./IBalancedVote.sol";

/// @title Co-financing of a hromada's projects: partners and their pledges
/// @notice The council (the community fund's treasurer) registers the hromada's partners, each with a sector
/// and an account (custodial, acting through the forwarder, or the partner's own wallet). An active partner
/// pledges to a project pitched in a round that is neither finalised nor cancelled: money or a resource in
/// kind (materials, equipment, labour hours, premises), valued in kopiyky by the partner, with the hash of the
/// agreement, and possibly conditional on the vote funding the project. Money pledges are made and cancelled
/// only before voting opens (pitching and screening), so that the money pledged to a project, which the
/// co-financing rule subtracts from its ask, is fixed while residents vote; in-kind pledges may be made until
/// the round closes and cancelled until fulfilled. The council records a pledge fulfilled with the receipt's
/// hash (each receipt once). Anyone records the lapse of a conditional open pledge once the round is
/// finalised or cancelled and the vote did not choose the project.
/// A donor abroad may pledge in a stablecoin the council accepts: the tokens are held here, in the project's
/// escrow, released by the council to the project's payee once the vote chose it, and returned to the donor
/// if it did not. Such a pledge is always conditional and, like a resource in kind, does not change the gap
/// (its value in hryvnias is the donor's, at an exchange rate nobody fixes on chain).
/// Everything is an event, so that the audit and the public pages recompute partners and pledges from events
/// alone. docs/cofinancing.md has the design.
interface ICoFinancing {
    /// @notice A pledge's lifecycle: Open until fulfilled (council), cancelled (partner) or lapsed (anyone).
    enum PledgeStatus {
        None,
        Open,
        Fulfilled,
        Cancelled,
        Lapsed
    }

    /// @param account the partner's account (custodial or own wallet); registered once
    /// @param sector 1 business, 2 local budget, 3 NGO, 4 international donor, 5 diaspora
    /// @param active whether the partner may pledge
    /// @param profileHash keccak of the partner's public profile (name, description, contacts)
    struct Partner {
        address account;
        uint8 sector;
        bool active;
        bytes32 profileHash;
    }

    /// @param partnerId who pledged
    /// @param roundId, projectId the project pledged to
    /// @param kind 1 money, 2 materials, 3 equipment, 4 labour hours, 5 premises, 6 stablecoin
    /// @param conditional whether the pledge holds only if the vote funds the project
    /// @param status the pledge's state
    /// @param valueKopiyky the money, or the partner's own valuation of the resource in kind
    /// @param agreementHash keccak of the agreement (what, when, how)
    /// @param receiptHash keccak of the receipt the council recorded it fulfilled with (0 before)
    struct Pledge {
        uint64 partnerId;
        uint64 roundId;
        uint64 projectId;
        uint8 kind;
        bool conditional;
        PledgeStatus status;
        uint128 valueKopiyky;
        bytes32 agreementHash;
        bytes32 receiptHash;
    }

    /// @notice How many pledges to a project, and of what value.
    struct Tally {
        uint64 count;
        uint128 valueKopiyky;
    }

    event PartnerRegistered(uint256 indexed partnerId, address indexed account, uint8 sector, bytes32 profileHash);
    event PartnerActiveSet(uint256 indexed partnerId, bool active);
    event Pledged(
        uint256 indexed roundId,
        uint256 indexed projectId,
        uint256 indexed partnerId,
        uint256 pledgeId,
        uint8 kind,
        uint256 valueKopiyky,
        bool conditional,
        bytes32 agreementHash
    );
    event PledgeCancelled(uint256 indexed pledgeId, uint256 indexed roundId, uint256 indexed projectId);
    event PledgeFulfilled(
        uint256 indexed pledgeId, uint256 indexed roundId, uint256 indexed projectId, bytes32 receiptHash
    );
    event PledgeLapsed(uint256 indexed pledgeId, uint256 indexed roundId, uint256 indexed projectId);
    /// @notice The council accepts (or no longer accepts) pledges in `token`.
    event TokenAccepted(address indexed token, bool accepted);
    /// @notice A stablecoin pledge's tokens entered the escrow (with its {Pledged}, of kind 6).
    event TokenEscrowed(uint256 indexed pledgeId, address indexed token, uint256 amount);
    /// @notice A stablecoin pledge's tokens left the escrow: to the project's payee (with {PledgeFulfilled})
    /// or back to the donor (with {PledgeCancelled} or {PledgeLapsed}).
    event TokenPaidOut(uint256 indexed pledgeId, address indexed token, address indexed to, uint256 amount);

    /// @notice The caller lacks the fund's role `role` (the treasurer: the council).
    error CoFinancingUnauthorised(address caller, bytes32 role);
    error CoFinancingZeroAddress();
    error CoFinancingZeroHash();
    error CoFinancingZeroValue();
    /// @notice Sectors are 1 to 5.
    error CoFinancingInvalidSector(uint8 sector);
    /// @notice Kinds are 1 to 5.
    error CoFinancingInvalidKind(uint8 kind);
    error CoFinancingAlreadyPartner(address account, uint256 partnerId);
    error CoFinancingUnknownPartner(uint256 partnerId);
    /// @notice The partner is already (in)active.
    error CoFinancingPartnerActiveUnchanged(uint256 partnerId, bool active);
    error CoFinancingNotPartner(address caller);
    error CoFinancingPartnerInactive(uint256 partnerId);
    error CoFinancingUnknownPledge(uint256 pledgeId);
    /// @notice The caller is not the account of the partner who made the pledge.
    error CoFinancingNotPledger(address caller, uint256 pledgeId);
    /// @notice The pledge is in state `current`; the action needs an open pledge.
    error CoFinancingPledgeNotOpen(uint256 pledgeId, PledgeStatus current);
    /// @notice Pledges are made to a round in pitching, screening, voting or tallying.
    error CoFinancingRoundClosed(uint256 roundId, IBalancedVote.RoundState current);
    /// @notice Money pledges are made and cancelled only during pitching and screening.
    error CoFinancingMoneyFrozen(uint256 roundId, IBalancedVote.RoundState current);
    /// @notice The council screened the project ineligible.
    error CoFinancingProjectIneligible(uint256 roundId, uint256 projectId);
    error CoFinancingReceiptUsed(bytes32 receiptHash);
    /// @notice Only a conditional pledge lapses.
    error CoFinancingUnconditional(uint256 pledgeId);
    /// @notice A pledge lapses only once its round is finalised or cancelled.
    error CoFinancingRoundNotClosed(uint256 roundId, IBalancedVote.RoundState current);
    /// @notice A pledge does not lapse when the vote chose its project (see {chosenByVote}).
    error CoFinancingProjectChosen(uint256 roundId, uint256 projectId);
    /// @notice Stablecoin escrow is released only once the round is finalised and the vote chose the project.
    error CoFinancingProjectNotChosen(uint256 roundId, uint256 projectId);
    /// @notice The council does not accept pledges in this token.
    error CoFinancingTokenNotAccepted(address token);
    /// @notice The token is already (not) accepted.
    error CoFinancingTokenUnchanged(address token, bool accepted);
    /// @notice The escrow received another amount than pledged (a token that charges fees on transfer).
    error CoFinancingTokenAmountMismatch(uint256 pledged, uint256 received);
    /// @notice A stablecoin pledge is fulfilled by {releaseToken}; other pledges have no tokens to release.
    error CoFinancingWrongPledgeKind(uint256 pledgeId, uint8 kind);
    /// @notice A stablecoin pledge is cancelled only before its round is finalised (or once it is cancelled).
    error CoFinancingEscrowLocked(uint256 roundId, IBalancedVote.RoundState current);

    // ------------------------------------------------------------ council (the fund's treasurer)

    /// @notice Registers a partner, active.
    /// @dev Treasurer only; the account non-zero and not yet a partner. Emits {PartnerRegistered}.
    /// @param account the partner's account (a custodial account of the service or the partner's wallet)
    /// @param sector 1 business, 2 local budget, 3 NGO, 4 international donor, 5 diaspora
    /// @param profileHash keccak of the partner's public profile, not zero
    /// @return partnerId the new partner's id (from 1)
    function registerPartner(address account, uint8 sector, bytes32 profileHash) external returns (uint256 partnerId);

    /// @notice Lets a partner pledge again, or stops them (their open pledges stand).
    /// @dev Treasurer only; a change. Emits {PartnerActiveSet}.
    function setPartnerActive(uint256 partnerId, bool active) external;

    /// @notice Records an open pledge fulfilled: the money arrived, the resource was delivered.
    /// @dev Treasurer only; the pledge Open and not in a stablecoin; the receipt non-zero and not used before.
    /// Emits {PledgeFulfilled}.
    /// @param receiptHash keccak of the receipt (bank statement, delivery note, signed timesheet)
    function fulfilPledge(uint256 pledgeId, bytes32 receiptHash) external;

    /// @notice Accepts pledges in `token` (a stablecoin the hromada can use), or stops accepting new ones.
    /// @dev Treasurer only; a change; the token non-zero. Emits {TokenAccepted}.
    function acceptToken(address token, bool accepted) external;

    /// @notice Pays an open stablecoin pledge's tokens to the project's payee and records it fulfilled.
    /// @dev Treasurer only; the round finalised and the project chosen by the vote; `to` non-zero; the receipt
    /// non-zero and not used before. Emits {PledgeFulfilled} and {TokenPaidOut}.
    /// @param to who receives the tokens (the contractor or the hromada's account for the project)
    /// @param receiptHash keccak of the payment's record
    function releaseToken(uint256 pledgeId, address to, bytes32 receiptHash) external;

    // ------------------------------------------------------------ partners

    /// @notice The calling partner pledges to a project.
    /// @dev An active partner's account; the project pitched or eligible (not ineligible) in a round in
    /// pitching, screening, voting or tallying; money only in pitching or screening; a kind of 1 to 5, a
    /// non-zero value and agreement hash. Emits {Pledged}.
    /// @param kind 1 money, 2 materials, 3 equipment, 4 labour hours, 5 premises
    /// @param valueKopiyky the money, or the partner's valuation of the resource, non-zero
    /// @param conditional whether the pledge holds only if the vote funds the project
    /// @param agreementHash keccak of the agreement, not zero
    /// @return pledgeId the new pledge's id (from 1)
    function pledge(
        uint256 roundId,
        uint256 projectId,
        uint8 kind,
        uint128 valueKopiyky,
        bool conditional,
        bytes32 agreementHash
    ) external returns (uint256 pledgeId);

    /// @notice A donor pledges `amount` of an accepted stablecoin to a project: the tokens move into this
    /// contract's escrow now, the pledge is conditional on the vote choosing the project.
    /// @dev An active partner's account that approved `amount` to this contract; the project and round as for
    /// a resource in kind; a non-zero amount, value and agreement hash; the escrow must receive exactly
    /// `amount`. Emits {Pledged} (kind 6) and {TokenEscrowed}.
    /// @param valueKopiyky the donor's valuation of `amount` in kopiyky, non-zero (shown, never in the gap)
    /// @return pledgeId the new pledge's id
    function pledgeToken(
        uint256 roundId,
        uint256 projectId,
        IERC20 token,
        uint256 amount,
        uint128 valueKopiyky,
        bytes32 agreementHash
    ) external returns (uint256 pledgeId);

    /// @notice The partner withdraws an open pledge: money only while its round is in pitching or screening
    /// (or cancelled); a stablecoin pledge until the round is finalised (its tokens go back to the partner);
    /// a resource in kind at any time until it is fulfilled.
    /// @dev The account of the partner who pledged (active or not). Emits {PledgeCancelled} (and
    /// {TokenPaidOut} for a stablecoin pledge).
    function cancelPledge(uint256 pledgeId) external;

    // ------------------------------------------------------------ anyone

    /// @notice Records the lapse of a conditional open pledge whose project the vote did not choose; a
    /// stablecoin pledge's tokens go back to the partner's account.
    /// @dev Anyone; the round finalised or cancelled; the project not {chosenByVote}. Emits {PledgeLapsed}
    /// (and {TokenPaidOut} for a stablecoin pledge).
    function lapsePledge(uint256 pledgeId) external;

    // ------------------------------------------------------------ views

    /// @notice The money pledged to a project that is open or fulfilled: what the co-financing rule
    /// subtracts from its ask. Fixed from the opening of voting until the round is finalised or cancelled.
    function pledgedMoney(uint256 roundId, uint256 projectId) external view returns (uint256);

    /// @notice A project's pledges: [0] every pledge ever made, then by status, [1] open, [2] fulfilled,
    /// [3] cancelled, [4] lapsed (so [0] is the sum of the others, in count and in value).
    function pledgeTotals(uint256 roundId, uint256 projectId) external view returns (Tally[5] memory);

    /// @notice A pledge. @dev Reverts with {CoFinancingUnknownPledge} for an id not given.
    function pledgeOf(uint256 pledgeId) external view returns (Pledge memory);

    /// @notice A partner. @dev Reverts with {CoFinancingUnknownPartner} for an id not given.
    function partner(uint256 partnerId) external view returns (Partner memory);

    /// @notice The partner whose account this is (0 for none).
    function partnerOf(address account) external view returns (uint256);

    /// @notice Whether a fulfilment used this receipt hash.
    function receiptUsed(bytes32 receiptHash) external view returns (bool);

    /// @notice The pledges made so far (their ids are 1 to this).
    function pledgeCount() external view returns (uint256);

    /// @notice The partners registered so far (their ids are 1 to this).
    function partnerCount() external view returns (uint256);

    /// @notice Whether the vote chose the project: its round is finalised and the vote funded it, or, under
    /// the co-financing rule, the project is eligible, got votes, and the money pledged covers its whole ask
    /// (so it needed nothing from the fund).
    function chosenByVote(uint256 roundId, uint256 projectId) external view returns (bool);

    /// @notice Whether new pledges in `token` are accepted.
    function tokenAccepted(address token) external view returns (bool);

    /// @notice The token and amount a stablecoin pledge holds in escrow (zero for other pledges).
    function escrowOf(uint256 pledgeId) external view returns (IERC20 token, uint256 amount);

    /// @notice The tokens held in escrow for open stablecoin pledges, per token.
    function tokenEscrowed(address token) external view returns (uint256);
}
