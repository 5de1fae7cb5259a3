// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";

import {BalancedVote} from "./BalancedVote.sol";
import {CoFinancing} from "./CoFinancing.sol";
import {CommunityFund} from "./CommunityFund.sol";
import {ProjectDelivery} from "./ProjectDelivery.sol";
import {ResidentRegistry} from "./ResidentRegistry.sol";
import {RVToken} from "./RVToken.sol";
import {UsefulCaseContract} from "./UsefulCaseContract.sol";
import {HromadaContracts} from "./interfaces/HromadaContracts.sol";

/// @title Onboards a hromada in one transaction
/// @notice Creates a hromada's registry, RV token, programmes, balanced vote, community fund, project
/// delivery and co-financing as EIP-1167 minimal clones of implementations deployed once per chain, wires
/// them to each other and grants the council (and the registrar) their roles. The factory keeps no role in
/// what it creates.
/// @dev Clones make onboarding cost about as much as initialising storage: no contract code is deployed per
/// hromada. Addresses are deterministic (CREATE2 with a salt from the onboarder and the name), so a
/// deployment script can predict them, and the same onboarder cannot onboard the same name twice.
/// Security considerations: onboarding is permissionless; a hromada is identified by its addresses and its
/// council, which auditors and residents check against the hromada's own publication, never by its name.
contract HromadaFactory {
    /// @notice What an onboarder gives.
    /// @param name the hromada's name, e.g. "Boyarka"
    /// @param tokenName the RV token's name (and its EIP-2612 domain name), e.g. "RV Boyarka"
    /// @param tokenSymbol e.g. "RV-BOY"
    /// @param faceValueKopiyky UAH face value of one RV, in kopiyky (5000 = 50 UAH)
    /// @param council the council's address: admin of every contract, treasurer, first coordinator
    /// @param registrar the address that registers residents
    struct OnboardParams {
        string name;
        string tokenName;
        string tokenSymbol;
        uint256 faceValueKopiyky;
        address council;
        address registrar;
    }

    /// @notice A hromada, as {hromada} answers.
    struct Hromada {
        string name;
        address onboarder;
        address council;
        uint40 onboardedAt;
        HromadaContracts contracts;
    }

    /// @dev What the factory stores for a hromada. Its contracts' addresses follow from the onboarder and the
    /// name (CREATE2), so they are computed when asked for, not stored: seven words (154,700 gas) less.
    struct Record {
        address onboarder;
        uint40 onboardedAt;
        address council;
        string name;
    }

    /// @notice The chain's CTSForwarder, trusted by every implementation.
    address public immutable forwarder;
    address public immutable registryImplementation;
    address public immutable tokenImplementation;
    address public immutable usefulCasesImplementation;
    address public immutable balancedVoteImplementation;
    address public immutable fundImplementation;
    address public immutable deliveryImplementation;
    address public immutable coFinancingImplementation;

    Record[] private _hromadas;
    mapping(bytes32 key => uint256 hromadaId) private _hromadaByKey;

    event HromadaOnboarded(
        uint256 indexed hromadaId,
        bytes32 indexed key,
        address indexed council,
        string name,
        address onboarder,
        HromadaContracts contracts
    );

    error HromadaFactoryZeroAddress();
    error HromadaFactoryEmptyName();
    /// @notice This onboarder already onboarded a hromada of this name.
    error HromadaFactoryAlreadyOnboarded(bytes32 key, uint256 hromadaId);
    /// @notice An implementation does not trust the factory's forwarder.
    error HromadaFactoryForwarderMismatch(address implementation);
    error HromadaFactoryUnknownHromada(uint256 hromadaId);

    /// @param forwarder_ the chain's CTSForwarder
    /// @param implementations the implementations (their initialisers disabled), all trusting `forwarder_`
    constructor(address forwarder_, HromadaContracts memory implementations) {
        if (forwarder_ == address(0)) revert HromadaFactoryZeroAddress();
        address[7] memory all = [
            implementations.registry,
            implementations.token,
            implementations.usefulCases,
            implementations.balancedVote,
            implementations.fund,
            implementations.delivery,
            implementations.coFinancing
        ];
        for (uint256 i = 0; i < all.length; ++i) {
            if (all[i] == address(0)) revert HromadaFactoryZeroAddress();
            if (ResidentRegistry(all[i]).trustedForwarder() != forwarder_) {
                revert HromadaFactoryForwarderMismatch(all[i]);
            }
        }
        forwarder = forwarder_;
        registryImplementation = implementations.registry;
        tokenImplementation = implementations.token;
        usefulCasesImplementation = implementations.usefulCases;
        balancedVoteImplementation = implementations.balancedVote;
        fundImplementation = implementations.fund;
        deliveryImplementation = implementations.delivery;
        coFinancingImplementation = implementations.coFinancing;
    }

    /// @notice Onboards a hromada: creates, wires and initialises its seven contracts.
    /// @dev Emits {HromadaOnboarded} (and each contract's own initialisation events).
    /// @return hromadaId the new hromada's id (1, 2, ...)
    /// @return contracts the new contracts' addresses
    function onboardHromada(OnboardParams calldata params)
        external
        returns (uint256 hromadaId, HromadaContracts memory contracts)
    {
        if (bytes(params.name).length == 0) revert HromadaFactoryEmptyName();
        if (params.council == address(0) || params.registrar == address(0)) revert HromadaFactoryZeroAddress();
        bytes32 key = hromadaKey(msg.sender, params.name);
        uint256 existing = _hromadaByKey[key];
        if (existing != 0) revert HromadaFactoryAlreadyOnboarded(key, existing);

        contracts = HromadaContracts({
            registry: Clones.cloneDeterministic(registryImplementation, _salt(key, 0)),
            token: Clones.cloneDeterministic(tokenImplementation, _salt(key, 1)),
            usefulCases: Clones.cloneDeterministic(usefulCasesImplementation, _salt(key, 2)),
            balancedVote: Clones.cloneDeterministic(balancedVoteImplementation, _salt(key, 3)),
            fund: Clones.cloneDeterministic(fundImplementation, _salt(key, 4)),
            delivery: Clones.cloneDeterministic(deliveryImplementation, _salt(key, 5)),
            coFinancing: Clones.cloneDeterministic(coFinancingImplementation, _salt(key, 6))
        });
        _hromadas.push(
            Record({
                onboarder: msg.sender, onboardedAt: uint40(block.timestamp), council: params.council, name: params.name
            })
        );
        hromadaId = _hromadas.length;
        _hromadaByKey[key] = hromadaId;
        // The clones are initialised after the hromada is recorded (checks, effects, interactions).
        ResidentRegistry(contracts.registry).initialize(contracts, params.council, params.registrar);
        RVToken(contracts.token).initialize(
            params.tokenName, params.tokenSymbol, params.faceValueKopiyky, contracts, params.council
        );
        UsefulCaseContract(contracts.usefulCases).initialize(contracts, params.council);
        BalancedVote(contracts.balancedVote).initialize(contracts, params.council);
        CommunityFund(contracts.fund).initialize(contracts, params.council);
        ProjectDelivery(contracts.delivery).initialize(contracts);
        CoFinancing(contracts.coFinancing).initialize(contracts);

        emit HromadaOnboarded(hromadaId, key, params.council, params.name, msg.sender, contracts);
    }

    /// @notice The key of a hromada onboarded by `onboarder` under `name`.
    function hromadaKey(address onboarder, string memory name) public pure returns (bytes32) {
        return keccak256(abi.encode(onboarder, name));
    }

    /// @notice The addresses `onboarder` would get by onboarding `name` (whether or not it happened).
    function predictContracts(address onboarder, string calldata name)
        external
        view
        returns (HromadaContracts memory)
    {
        return _contractsOf(hromadaKey(onboarder, name));
    }

    /// @notice Hromada `hromadaId`.
    function hromada(uint256 hromadaId) external view returns (Hromada memory) {
        if (hromadaId == 0 || hromadaId > _hromadas.length) revert HromadaFactoryUnknownHromada(hromadaId);
        Record storage record = _hromadas[hromadaId - 1];
        return Hromada({
            name: record.name,
            onboarder: record.onboarder,
            council: record.council,
            onboardedAt: record.onboardedAt,
            contracts: _contractsOf(hromadaKey(record.onboarder, record.name))
        });
    }

    /// @notice The id of the hromada `onboarder` onboarded under `name`, or 0.
    function hromadaIdOf(address onboarder, string calldata name) external view returns (uint256) {
        return _hromadaByKey[hromadaKey(onboarder, name)];
    }

    /// @notice Number of hromadas onboarded.
    function hromadaCount() external view returns (uint256) {
        return _hromadas.length;
    }

    /// @dev The addresses of the clones made (or to be made) for the hromada of `key`.
    function _contractsOf(bytes32 key) private view returns (HromadaContracts memory) {
        return HromadaContracts({
            registry: Clones.predictDeterministicAddress(registryImplementation, _salt(key, 0)),
            token: Clones.predictDeterministicAddress(tokenImplementation, _salt(key, 1)),
            usefulCases: Clones.predictDeterministicAddress(usefulCasesImplementation, _salt(key, 2)),
            balancedVote: Clones.predictDeterministicAddress(balancedVoteImplementation, _salt(key, 3)),
            fund: Clones.predictDeterministicAddress(fundImplementation, _salt(key, 4)),
            delivery: Clones.predictDeterministicAddress(deliveryImplementation, _salt(key, 5)),
            coFinancing: Clones.predictDeterministicAddress(coFinancingImplementation, _salt(key, 6))
        });
    }

    function _salt(bytes32 key, uint256 index) private pure returns (bytes32) {
        return keccak256(abi.encode(key, index));
    }
}
