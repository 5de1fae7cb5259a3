// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Many view calls in one eth_call, for `cts audit`
/// @notice Never deployed: the audit hands this contract's runtime code to the node through eth_call's
/// state override, at an address of its own, and reads up to a few hundred views of the hromada's contracts
/// in one call, each answer or failure kept apart, all at the same block. A node without state overrides
/// is read one view per call instead (backend/cts/audit/views.py). Anvil and Ganache take overrides.
/// @dev `staticcall`, so that nothing a view does can change state even inside the simulated call.
contract ViewBatch {
    /// @notice One view to read: `data` (selector and arguments) sent to `target`.
    struct ViewCall {
        address target;
        bytes data;
    }

    /// @notice A view's answer: `success` false when it reverted, with the revert data in `returnData`.
    struct ViewAnswer {
        bool success;
        bytes returnData;
    }

    /// @notice Calls every view of `calls` in order and returns each answer, failures included.
    /// @param calls the views to read
    /// @return answers one per call, in the same order
    function read(ViewCall[] calldata calls) external view returns (ViewAnswer[] memory answers) {
        answers = new ViewAnswer[](calls.length);
        for (uint256 i = 0; i < calls.length; ++i) {
            // slither-disable-next-line low-level-calls (a view's revert is an answer, not a failure)
            (answers[i].success, answers[i].returnData) = calls[i].target.staticcall(calls[i].data);
        }
    }
}
