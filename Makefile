# Two commands on a fresh machine with Python 3.11+:  make run   /   make test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test demo bench fuzz package clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "PPDS Desktop needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	$(BIN)/python -m pip install -q --no-deps 'pycanon>=1.3'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m ppds_desktop --demo

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS)

demo: $(STAMP)
	$(BIN)/ppds demo

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

# Long mutation fuzzing of every parser of outside input (not in CI; coverage-guided with atheris).
FUZZ_ITERATIONS ?= 100000
fuzz: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[fuzz]'
	nice -n 10 $(BIN)/python tests/fuzz/harness.py --engine atheris --iterations $(FUZZ_ITERATIONS)

package: $(STAMP)
	bash packaging/linux/build.sh

clean:
	rm -rf $(VENV) build dist packaging/build
