// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20Upgradeable} from "@openzeppelin/contracts-upgradeable/token/ERC20/ERC20Upgradeable.sol";
import {ERC20PermitUpgradeable} from
    "@openzeppelin/contracts-upgradeable/token/ERC20/extensions/ERC20PermitUpgradeable.sol";
import {ContextUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/ContextUpgradeable.sol";

import {CTSBase} from "./utils/CTSBase.sol";
import {HromadaContracts} from "./interfaces/HromadaContracts.sol";
import {IResidentRegistry} from "./interfaces/IResidentRegistry.sol";
import {IRVToken} from "./interfaces/IRVToken.sol";

/// @title RV token of a hromada
/// @notice ERC-20 (decimals 0) with EIP-2612 permit and a UAH face value fixed at creation. See {IRVToken}.
/// @dev Why RV is not transferable between residents: RV is a vote in the balanced vote. If residents
/// could pass RV to each other, votes could be bought, and one person could concentrate many residents'
/// RV into one ballot, which defeats the quadratic weighting (sqrt of credits rewards spreading support
/// across many people). So every movement goes through {_update}, which allows only mints, burns, and
/// moves made by one of the hromada's system contracts (fixed at initialisation; no role can add one
/// later): a vote round escrowing, refunding or burning. A resident cannot even send RV to a system
/// contract themselves, where it could only be stranded. The registry's migration of a lost key is the
/// one resident-to-resident move, and it keeps the resident (same person, new address).
/// Security considerations: the system contracts are trusted: BalancedVote pulls a resident's RV only
/// on that resident's own ballot (msg sender via ERC-2771), and only UsefulCaseContract mints.
contract RVToken is CTSBase, ERC20PermitUpgradeable, IRVToken {
    IResidentRegistry public registry;
    address public usefulCases;
    address public balancedVote;
    address public fund;
    /// @inheritdoc IRVToken
    uint256 public faceValueKopiyky;
    /// @inheritdoc IRVToken
    uint256 public totalMinted;
    /// @inheritdoc IRVToken
    uint256 public totalBurned;

    /// @param trustedForwarder_ the chain's CTSForwarder
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor(address trustedForwarder_) CTSBase(trustedForwarder_) {}

    /// @notice Names the token, fixes its face value and its system contracts.
    /// @dev Called once by HromadaFactory in the transaction that creates the clone.
    /// @param name_ e.g. "RV Hromada Boyarka"; also the EIP-712 domain name of permit
    /// @param symbol_ e.g. "RV-BOY"
    /// @param faceValueKopiyky_ UAH face value of one RV, in kopiyky (5000 = 50 UAH)
    function initialize(
        string calldata name_,
        string calldata symbol_,
        uint256 faceValueKopiyky_,
        HromadaContracts calldata contracts,
        address council
    ) external initializer {
        if (faceValueKopiyky_ == 0) revert RVTokenZeroFaceValue();
        __AccessControl_init();
        __ERC20_init(name_, symbol_);
        __ERC20Permit_init(name_);
        faceValueKopiyky = faceValueKopiyky_;
        registry = IResidentRegistry(contracts.registry);
        usefulCases = contracts.usefulCases;
        balancedVote = contracts.balancedVote;
        fund = contracts.fund;
        _grantRole(DEFAULT_ADMIN_ROLE, council);
    }

    /// @notice RV is indivisible: one RV is one token, as in the pilots.
    function decimals() public pure override returns (uint8) {
        return 0;
    }

    /// @inheritdoc IRVToken
    function isSystemContract(address account) public view returns (bool) {
        return account != address(0)
            && (
                account == usefulCases || account == balancedVote || account == fund
                    || account == address(registry)
            );
    }

    /// @inheritdoc IRVToken
    function mint(address to, uint256 amount) external {
        if (_msgSender() != usefulCases) revert RVTokenUnauthorised(_msgSender());
        if (amount == 0) revert RVTokenZeroAmount();
        // No second registry call: the cases contract, the only minter, has just checked that `to` is the
        // active resident's current address (UsefulCaseContract._reward), in this same transaction.
        totalMinted += amount;
        // The ERC-20 Transfer from zero announces the mint (the audit counts RV minted from it).
        _mint(to, amount);
    }

    /// @inheritdoc IRVToken
    function pullFromResident(address resident, uint256 amount) external {
        address caller = _msgSender();
        if (caller != balancedVote) revert RVTokenUnauthorised(caller);
        if (amount == 0) revert RVTokenZeroAmount();
        _transfer(resident, caller, amount); // its Transfer event announces the escrow
    }

    /// @inheritdoc IRVToken
    function burn(uint256 amount) external {
        address caller = _msgSender();
        if (!isSystemContract(caller)) revert RVTokenUnauthorised(caller);
        if (amount == 0) revert RVTokenZeroAmount();
        totalBurned += amount;
        _burn(caller, amount);
        emit RVBurned(caller, amount);
    }

    /// @inheritdoc IRVToken
    function migrateBalance(address from, address to) external returns (uint256 amount) {
        if (_msgSender() != address(registry)) revert RVTokenUnauthorised(_msgSender());
        amount = balanceOf(from);
        if (amount > 0) {
            // The one move between two non-system addresses: the same person's new key. Skips the
            // restriction in our _update on purpose, and nowhere else.
            ERC20Upgradeable._update(from, to, amount);
            emit RVMigrated(from, to, amount);
        }
    }

    /// @dev The one hook for every movement (transfer, transferFrom, mint, burn): RV moves only if it is
    /// minted, burned, or moved by a system contract to or from itself (its own escrow).
    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0) && to != address(0)) {
            address mover = _msgSender();
            if (!isSystemContract(mover) || (from != mover && to != mover)) {
                revert RVTokenNonTransferable(from, to);
            }
        }
        super._update(from, to, value);
    }

    function _msgSender() internal view override(ContextUpgradeable, CTSBase) returns (address) {
        return CTSBase._msgSender();
    }

    function _msgData() internal view override(ContextUpgradeable, CTSBase) returns (bytes calldata) {
        return CTSBase._msgData();
    }

    function _contextSuffixLength() internal view override(ContextUpgradeable, CTSBase) returns (uint256) {
        return CTSBase._contextSuffixLength();
    }
}
