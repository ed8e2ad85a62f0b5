# The two commands of the README's quick start, and the checks CI runs.
#   make demo   set up .venv and replay the example round R2-5 live (mailflow demo)
#   make test   set up .venv and run the whole test suite

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test check wheel-check clean

$(BIN)/mailflow: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (3.11 or newer)"; exit 1; }
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "mailflow needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

# The seed round R2-5 replayed live on loopback (about a minute); minutes in demo-out/.
demo: $(BIN)/mailflow
	$(BIN)/mailflow demo --out demo-out
	@echo "To run the round from the staff console instead: $(BIN)/mailflow demo --web"
	@echo "(at the end it serves http://127.0.0.1:8470/ and prints a one-time login)"

test: $(BIN)/mailflow
	$(BIN)/pytest -q

check: $(BIN)/mailflow
	$(BIN)/ruff check mailflow tests $(wildcard bench)
	$(BIN)/ruff format --check mailflow
	$(BIN)/mypy
	$(BIN)/lint-imports

# The wheel must carry templates/ and migrations/: install it in a fresh venv outside
# the source tree and use both there.
wheel-check: $(BIN)/mailflow
	bash .ci/wheel-check

clean:
	rm -rf $(VENV) dist data build
