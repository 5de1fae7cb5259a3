"""Brownie's `state_machine`, from the Python source of brownie.test.stateful.

eth-brownie 1.22.2 ships brownie/test/stateful.py compiled with mypyc (brownie PR #1952). Its machine base,
`_BrownieStateMachine`, is declared `@final`, so the compiled `__init__` refuses the subclass that
`state_machine` itself builds from the rules class:

    TypeError: brownie.test.stateful._BrownieStateMachine object expected;
    got test_x.BrownieStateMachine

The same module's Python source is installed beside the extension. Loaded under another name it runs
unchanged, with Brownie's own semantics (a chain snapshot before the run, `chain.revert()` and `setup()`
before every example, `st_*` strategies, `rule_*`, `invariant_*`, `initialize_*`, `teardown_final`).
"""

import importlib.util
from pathlib import Path

import brownie.test
from hypothesis import HealthCheck

# What every stateful test adds to its budget so that CI runs the same sequences every time: derandomised
# (a random draw once tripped Hypothesis's "data too large" health check, which only says that generating
# long sequences is inefficient, not that anything is wrong; it is suppressed for the same reason).
REPRODUCIBLE = {"derandomize": True, "suppress_health_check": [HealthCheck.data_too_large]}


def _load_stateful_source():
    path = Path(brownie.test.__file__).with_name("stateful.py")
    spec = importlib.util.spec_from_file_location("brownie_test_stateful_source", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


state_machine = _load_stateful_source().state_machine
