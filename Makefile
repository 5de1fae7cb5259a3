# CTS: the two commands are `make demo` (run the system) and `make test` (run every test).
# Each does the whole set-up from nothing and is quick when run again: every step below is
# skipped while its inputs are unchanged.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
BROWNIE_VENV := .venv-brownie
VENV := .venv
SLITHER_VENV := .venv-slither
STAMP := var/stamps
# Brownie starts `ganache` and `anvil` by name; they come from npm.
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/$(VENV)/bin:$(PATH)
# Relative: recipes run in the checkout, and an absolute path would split at a space in it.
BROWNIE := bin/brownie
PIP_QUIET := --quiet --disable-pip-version-check
# The pages' translations: gettext catalogs (.po, in the repository) compiled to .mo (made here, not committed).
LOCALE := backend/cts/web/locale
CATALOGS := $(patsubst %.po,%.mo,$(wildcard $(LOCALE)/*/LC_MESSAGES/messages.po))

.PHONY: slither setup demo test test-contracts test-contracts-ganache test-contracts-anvil test-backend test-backend-web test-long lint bench gas-snapshot gas-trace clean \
	fuzz fuzz-anvil fuzz-ganache fuzz-api messages

setup: $(STAMP)/npm $(STAMP)/brownie-venv $(STAMP)/backend-venv $(STAMP)/slither-venv $(CATALOGS) $(STAMP)/solc $(STAMP)/networks $(STAMP)/compiled $(STAMP)/chromium

$(STAMP):
	@mkdir -p $@

# `npm ci`: installs exactly what the lock says and never rewrites it, so a fresh clone stays
# clean (issue 21). The lock lists Anvil's binaries for every platform; npm fetches only this one's.
$(STAMP)/npm: package.json package-lock.json | $(STAMP)
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(STAMP)/brownie-venv: requirements/brownie.txt | $(STAMP)
	test -x $(BROWNIE_VENV)/bin/python || $(PYTHON) -m venv $(BROWNIE_VENV)
	$(BROWNIE_VENV)/bin/pip install $(PIP_QUIET) -r requirements/brownie.txt
	$(BROWNIE_VENV)/bin/pip check
	@touch $@

# --no-deps: requirements/backend.txt is the complete lock, and it leaves out on purpose what a package
# declares but CTS never imports (gurobipy, a commercial solver pabutools names; README, "What the set-up
# installs"). tools/pip_check.sh then checks every other requirement is met.
$(STAMP)/backend-venv: requirements/backend.txt pyproject.toml tools/pip_check.sh | $(STAMP)
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install $(PIP_QUIET) --no-deps -r requirements/backend.txt
	$(VENV)/bin/pip install $(PIP_QUIET) --no-deps -e .
	@tools/pip_check.sh $(VENV)/bin/pip
	@touch $@

$(STAMP)/slither-venv: requirements/slither.txt | $(STAMP)
	test -x $(SLITHER_VENV)/bin/python || $(PYTHON) -m venv $(SLITHER_VENV)
	$(SLITHER_VENV)/bin/pip install $(PIP_QUIET) -r requirements/slither.txt
	$(SLITHER_VENV)/bin/pip check
	@touch $@

# Each compiled catalog is its own stamp: remade when its .po changes, or when it is missing.
$(LOCALE)/%/LC_MESSAGES/messages.mo: $(LOCALE)/%/LC_MESSAGES/messages.po | $(STAMP)/backend-venv
	$(VENV)/bin/pybabel compile --statistics -D messages -l $* -i $< -o $@

# After changing the pages' strings: extract messages.pot from the code and templates, merge it into the uk
# and en catalogs (English entries take their msgids), then translate what is new (docs/translations.md).
messages: $(STAMP)/backend-venv
	$(VENV)/bin/pybabel extract -F babel.cfg -o $(LOCALE)/messages.pot --project=CTS \
	  --copyright-holder="CTS contributors" --add-location=file --add-comments=Translators: backend/cts/web
	$(VENV)/bin/pybabel update -i $(LOCALE)/messages.pot -d $(LOCALE) -D messages --ignore-pot-creation-date
	$(VENV)/bin/python tools/fill_english_catalog.py

# Not a stamp that can go stale: install.sh checks that ~/.solcx answers, every time (instant).
$(STAMP)/solc: $(STAMP)/brownie-venv $(STAMP)/npm FORCE
	@tools/solc/install.sh $(BROWNIE_VENV)/bin/python
	@touch $@

$(STAMP)/networks: tools/setup_networks.py $(STAMP)/brownie-venv FORCE
	@$(BROWNIE_VENV)/bin/python tools/setup_networks.py
	@touch $@

$(STAMP)/compiled: $(STAMP)/solc $(STAMP)/networks brownie-config.yaml $(shell find contracts interfaces -name '*.sol' 2>/dev/null)
	$(BROWNIE) compile
	@touch $@

# Headless Chromium from Debian for the browser tests (Playwright drives it; its own browser download
# cannot work without internet). Installed once; skipped when already there.
$(STAMP)/chromium: | $(STAMP)
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; fi; }
	@touch $@

FORCE:

# A local Ganache chain on 127.0.0.1:8545 with CTS deployed and a demo hromada seeded, the web pages and
# the API on http://127.0.0.1:8000, the relayer worker running; prints how to sign in. Ctrl-C stops all.
demo: setup
	bin/cts demo --node ganache --chain-port 8545 --port 8000

# The three suites run side by side (each on its own chain and ports); their output is printed suite by
# suite as each finishes (--output-sync), so it stays readable.
test: setup lint
	@$(MAKE) --no-print-directory -j4 --output-sync=target test-contracts-ganache test-contracts-anvil test-backend \
	  test-backend-web
	@echo "make test: all passed"

# The same contract tests on both local chains of the project card.
test-contracts: test-contracts-ganache test-contracts-anvil

test-contracts-ganache: setup
	@echo "=== contract tests on Ganache (network cts-ganache) ==="
	tools/run-pytest $(BROWNIE) test tests/contracts --network cts-ganache --durations=15

test-contracts-anvil: setup
	@echo "=== contract tests on Anvil (network cts-anvil) ==="
	tools/run-pytest $(BROWNIE) test tests/contracts --network cts-anvil --durations=15

# The backend's tests in two processes that `make test` runs side by side (the pages' browser tests take as
# long as the rest); each prints its slowest tests. The pilot-scale runs (marked `long`) are `make test-long`.
test-backend: setup
	@echo "=== backend tests (all but the pages) ==="
	tools/run-pytest $(VENV)/bin/pytest --ignore=tests/backend/web -m "not long" --durations=15

test-backend-web: setup
	@echo "=== backend tests: the pages ==="
	tools/run-pytest $(VENV)/bin/pytest tests/backend/web -m "not long" --durations=15

# The pilot-scale tests, minutes each (`cts pilot` prints the report's figures and ratio 4.58 from the chain; a
# day of the pilot's 854 registrations and 901 approvals fits the default budgets): kept out of `make test`,
# which must stay under 20 minutes on a 2-core machine; `make bench` runs them first.
test-long: setup
	@echo "=== the pilot-scale tests (marked long) ==="
	tools/run-pytest $(VENV)/bin/pytest -m long --durations=0

# The stateful contract tests randomised (`make test` runs them derandomised): a fresh seed per run, printed,
# many more and longer sequences (CTS_FUZZ_EXAMPLES, CTS_FUZZ_STEPS), on Anvil then Ganache. A failure
# prints its seed and the command that replays it: `make fuzz-anvil CTS_FUZZ_SEED=<seed>` with the same
# CTS_FUZZ_EXAMPLES and CTS_FUZZ_STEPS (docs/toolchain.md, "Fuzzing").
FUZZ_TESTS := $(sort $(wildcard tests/contracts/test_*_stateful.py))
CTS_FUZZ_EXAMPLES ?= 100
CTS_FUZZ_STEPS ?= 50
ifndef CTS_FUZZ_SEED
CTS_FUZZ_SEED := $(shell od -An -N4 -tu4 /dev/urandom | tr -d ' ')
endif
# Passed to the fuzz recipes only, never exported to the whole make: the backend's tests under `make test` once
# read CTS_FUZZ_EXAMPLES=100 from here and ran the API fuzz 25 times longer than meant (issue 15).
FUZZ_ENV = CTS_FUZZ=1 CTS_FUZZ_SEED=$(CTS_FUZZ_SEED) CTS_FUZZ_EXAMPLES=$(CTS_FUZZ_EXAMPLES) CTS_FUZZ_STEPS=$(CTS_FUZZ_STEPS)
# The API's fuzz (tests/backend/relayer/test_api_fuzz.py): `make test` runs it with 4 derandomised examples per
# operation, mode and identity; `make fuzz` with this many, randomised.
CTS_API_FUZZ_EXAMPLES ?= 40

fuzz: fuzz-anvil fuzz-ganache fuzz-api
	@echo "make fuzz: no failure with seed $(CTS_FUZZ_SEED)"

fuzz-api: setup
	@echo "=== make fuzz: the API, $(CTS_API_FUZZ_EXAMPLES) random examples per operation, mode and identity ==="
	CTS_API_FUZZ_EXAMPLES=$(CTS_API_FUZZ_EXAMPLES) CTS_FUZZ_RANDOM=1 tools/run-pytest $(VENV)/bin/pytest \
	  tests/backend/relayer/test_api_fuzz.py

fuzz-anvil fuzz-ganache: fuzz-%: setup
	@echo "=== make fuzz on cts-$*: seed $(CTS_FUZZ_SEED), $(CTS_FUZZ_EXAMPLES) examples of up to $(CTS_FUZZ_STEPS) steps ==="
	@$(FUZZ_ENV) tools/run-pytest $(BROWNIE) test $(FUZZ_TESTS) --network cts-$* --hypothesis-seed=$(CTS_FUZZ_SEED) || { \
	  echo "make fuzz: FAILED on cts-$* with seed $(CTS_FUZZ_SEED); replay: make fuzz-$* CTS_FUZZ_SEED=$(CTS_FUZZ_SEED) CTS_FUZZ_EXAMPLES=$(CTS_FUZZ_EXAMPLES) CTS_FUZZ_STEPS=$(CTS_FUZZ_STEPS)" >&2; \
	  exit 1; }

# Rewrites the gas snapshot (tests/contracts/gas-snapshot.json) from a run on Anvil, then checks the new figures on
# Ganache, which must agree; commit the file with the change that moved the gas (docs/benchmarks/gas-snapshot.md).
gas-snapshot: setup
	CTS_UPDATE_GAS_SNAPSHOT=1 $(BROWNIE) test tests/contracts/test_gas_snapshot.py --network cts-anvil
	$(BROWNIE) test tests/contracts/test_gas_snapshot.py --network cts-ganache

# Where each action of the gas snapshot spends its gas: storage reads and writes, logs, calls between the
# hromada's clones (tests/contracts/gas_trace.py), from an Anvil that records every step; prints, checks as usual.
gas-trace: setup
	CTS_GAS_TRACE=1 $(BROWNIE) test tests/contracts/test_gas_snapshot.py --network cts-anvil-trace

# Benchmarks (not tests): figures printed beside a baseline measured in the same run, tables in docs/benchmarks.
bench: setup test-long
	$(VENV)/bin/python benchmarks/gas.py --node anvil
	$(VENV)/bin/python benchmarks/gas.py --node ganache
	$(VENV)/bin/python benchmarks/relayer.py --node anvil
	$(VENV)/bin/python benchmarks/relayer.py --node ganache --actions 200
	$(VENV)/bin/python benchmarks/audit_bench.py
	$(VENV)/bin/python benchmarks/hromadas.py --node anvil
	$(VENV)/bin/python benchmarks/replay.py --node anvil
	$(VENV)/bin/python benchmarks/replay.py --node anvil --repeat 3 --out docs/benchmarks/replay-anvil-x3.md
	# 40,518 voters, the issue's 40,000-voter election: about 20 minutes on 2 cores.
	$(VENV)/bin/python benchmarks/replay.py --node anvil --repeat 9 --out docs/benchmarks/replay-anvil-x9.md
	$(VENV)/bin/python benchmarks/chaos.py --backend sqlite --actions 1000 --kills 20 --outages 2
	$(VENV)/bin/python benchmarks/chaos.py --backend postgres --actions 1000 --kills 20 --outages 2

lint: setup
	$(VENV)/bin/ruff check backend benchmarks scripts tests tools
	$(VENV)/bin/ruff format --check backend benchmarks scripts tests tools
	$(VENV)/bin/mypy
	@$(MAKE) --no-print-directory slither

# Static analysis of the contracts (slither.config.json): any finding of medium or high impact fails; the low
# ones that stay are explained in docs/threat-model.md ("Static analysis"). Compiles with the project's solc.
slither: $(STAMP)/slither-venv $(STAMP)/solc $(STAMP)/npm
	rm -rf crytic-export
	$(SLITHER_VENV)/bin/slither contracts --config-file slither.config.json --solc "$(HOME)/.solcx/solc-v0.8.28" \
	  --fail-medium

clean:
	rm -rf build var/stamps
