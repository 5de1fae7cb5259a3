"""Brownie's `state_machine`, from the Python source of brownie.test.stateful; the budget of the stateful
tests under `make test` and under `make fuzz`; and the replay of a sequence that `make fuzz` found.

eth-brownie 1.22.2 ships brownie/test/stateful.py compiled with mypyc (brownie PR #1952). Its machine base,
`_BrownieStateMachine`, is declared `@final`, so the compiled `__init__` refuses the subclass that
`state_machine` itself builds from the rules class:

    TypeError: brownie.test.stateful._BrownieStateMachine object expected;
    got test_x.BrownieStateMachine

The same module's Python source is installed beside the extension. Loaded under another name it runs
unchanged, with Brownie's own semantics (a chain snapshot before the run, `chain.revert()` and `setup()`
before every example, `st_*` strategies, `rule_*`, `invariant_*`, `initialize_*`, `teardown_final`).
"""

import ast
import importlib.util
import os
from pathlib import Path

import brownie
import brownie.test
from hypothesis import HealthCheck
from hypothesis import settings as hp_settings
from hypothesis.reporting import with_reporter

# What every stateful test adds to its budget so that CI runs the same sequences every time: derandomised
# (a random draw once tripped Hypothesis's "data too large" health check, which only says that generating
# long sequences is inefficient, not that anything is wrong; it is suppressed for the same reason).
REPRODUCIBLE = {"derandomize": True, "suppress_health_check": [HealthCheck.data_too_large]}

# `make fuzz` sets CTS_FUZZ=1 and passes its seed to pytest as --hypothesis-seed (docs/toolchain.md).
FUZZ = os.environ.get("CTS_FUZZ") == "1"


def budget(max_examples, stateful_step_count):
    """The Hypothesis settings of a stateful test.

    Under `make test`: the budget given, derandomised (REPRODUCIBLE), the same sequences on every run.
    Under `make fuzz`: random sequences drawn from the run's seed, CTS_FUZZ_EXAMPLES examples (default 100)
    of up to CTS_FUZZ_STEPS steps (default 50), no example database (the seed alone replays a run), and
    the blob of any failure printed for @reproduce_failure."""
    if not FUZZ:
        return {**REPRODUCIBLE, "max_examples": max_examples, "stateful_step_count": stateful_step_count}
    return {
        "derandomize": False,
        "database": None,
        "max_examples": int(os.environ.get("CTS_FUZZ_EXAMPLES", "100")),
        "stateful_step_count": int(os.environ.get("CTS_FUZZ_STEPS", "50")),
        "suppress_health_check": [HealthCheck.data_too_large, HealthCheck.too_slow],
        "print_blob": True,
    }


def _load_stateful_source():
    path = Path(brownie.test.__file__).with_name("stateful.py")
    spec = importlib.util.spec_from_file_location("brownie_test_stateful_source", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_stateful = _load_stateful_source()


def state_machine(rules_object, *args, settings=None, **kwargs):
    """Brownie's state_machine. A failure carries Hypothesis's report (the falsifying sequence, one step a
    line, ready for `replay`; Brownie's own reporter joins the lines when the output is not a terminal) and,
    under `make fuzz`, the seed that replays it."""
    report = []
    try:
        with with_reporter(lambda text: report.append(text if isinstance(text, str) else repr(text))):
            _stateful.state_machine(rules_object, *args, settings=settings, **kwargs)
    except Exception as failure:
        if report:
            failure.add_note("\n".join(report))
        if FUZZ:
            failure.add_note(replay_hint())
        raise


def replay_hint():
    network = brownie.network.show_active()
    target = "fuzz-ganache" if "ganache" in network else "fuzz-anvil"
    return (
        f"make fuzz: seed {os.environ.get('CTS_FUZZ_SEED', '?')} on {network}; replay with "
        f"`make {target} CTS_FUZZ_SEED={os.environ.get('CTS_FUZZ_SEED', '?')} "
        f"CTS_FUZZ_EXAMPLES={os.environ.get('CTS_FUZZ_EXAMPLES', '100')} "
        f"CTS_FUZZ_STEPS={os.environ.get('CTS_FUZZ_STEPS', '50')}`; keep the falsifying example above "
        "as a regression (stateful_compat.replay)"
    )


def parse_steps(falsifying_example):
    """[(method, kwargs)] from Hypothesis's printed falsifying example (`state.rule_x(st_a=1, ...)` lines)."""
    steps = []
    for statement in ast.parse(falsifying_example.strip()).body:
        call = getattr(statement, "value", None)
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
            continue  # `state = BrownieStateMachine()`
        if call.func.attr == "teardown":
            continue
        steps.append((call.func.attr, {k.arg: ast.literal_eval(k.value) for k in call.keywords}))
    return steps


def replay(rules_object, falsifying_example, *args, **kwargs):
    """Runs one sequence of steps, as `make fuzz` printed it, through the same machine that
    `state_machine(rules_object, *args, **kwargs)` builds, with every invariant checked after each step
    as Hypothesis checks them: a failing sequence kept as an explicit regression example."""
    machine = _stateful._generate_state_machine(rules_object)
    if hasattr(rules_object, "__init__"):
        rules_object.__init__(machine, *args, **kwargs)
    brownie.chain.snapshot()
    settings = hp_settings()
    state = machine()
    try:
        state.check_invariants(settings)
        for name, arguments in parse_steps(falsifying_example):
            getattr(state, name)(**arguments)
            state._initialize_rules_to_run = [
                rule for rule in state._initialize_rules_to_run if rule.function.__name__ != name
            ]
            state.check_invariants(settings)
    finally:
        state.teardown()
        if hasattr(machine, "teardown_final"):
            machine.teardown_final(machine)
