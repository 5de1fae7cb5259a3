// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title RV, a hromada's reward token (the CTS-specific part; it is also an ERC-20 with EIP-2612 permit)
/// @notice One RV is one indivisible token (decimals 0) with a fixed UAH face value. RV is not transferable
/// between residents: it is minted by the useful-case programmes, moved only by the hromada's own system
/// contracts (a vote round escrows, refunds and burns it), and migrated by the registry to a resident's new
/// address. `transfer` and `transferFrom` by anyone else revert.
interface IRVToken is IERC20 {
    /// @notice A system contract burned `amount` RV it held.
    event RVBurned(address indexed systemContract, uint256 amount);
    /// @notice The registry moved a migrating resident's balance.
    event RVMigrated(address indexed from, address indexed to, uint256 amount);

    /// @notice A move of RV from `from` to `to` that is not made by a system contract to or from itself.
    error RVTokenNonTransferable(address from, address to);
    /// @notice `caller` is not the system contract allowed to do this.
    error RVTokenUnauthorised(address caller);
    /// @notice A zero amount was given.
    error RVTokenZeroAmount();
    /// @notice A face value of zero was given at creation.
    error RVTokenZeroFaceValue();

    /// @notice Mints `amount` RV to the active resident `to`.
    /// @dev Only the hromada's UsefulCaseContract, which checks `to` against the registry first (the token
    /// does not ask again). Emits Transfer from zero.
    function mint(address to, uint256 amount) external;

    /// @notice Moves `amount` RV from `resident` to the calling system contract (a vote round's escrow).
    /// @dev Only the hromada's BalancedVote, acting on the resident's own call to it. Emits the ERC-20 Transfer.
    function pullFromResident(address resident, uint256 amount) external;

    /// @notice Burns `amount` of the calling system contract's own RV (spent votes).
    /// @dev Only a system contract. Emits {RVBurned} and Transfer.
    function burn(uint256 amount) external;

    /// @notice Moves the whole balance of `from` to `to` for a resident's migration.
    /// @dev Only the hromada's ResidentRegistry. Emits {RVMigrated} and Transfer.
    /// @return amount the balance moved
    function migrateBalance(address from, address to) external returns (uint256 amount);

    /// @notice Face value of one RV in kopiyky (1 UAH = 100 kopiyky), fixed at creation.
    function faceValueKopiyky() external view returns (uint256);

    /// @notice RV ever minted (the supply plus what was burned).
    function totalMinted() external view returns (uint256);

    /// @notice RV ever burned.
    function totalBurned() external view returns (uint256);

    /// @notice Whether `account` is one of the hromada's system contracts.
    function isSystemContract(address account) external view returns (bool);
}
