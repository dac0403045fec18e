# Two commands on a fresh machine with Python 3.11+:  make run   /   make test
# GNU make on Linux, macOS and Windows: no shell syntax in the recipes (Python does the file
# work), double quotes only, and the venv's programs where each system puts them.
VENV := .venv
ifeq ($(OS),Windows_NT)
PYTHON ?= python
BIN    := $(VENV)/Scripts
else
PYTHON ?= python3
BIN    := $(VENV)/bin
endif
# Quoted: cmd.exe takes an unquoted "/" in a program's path for an option.
PY     := "$(BIN)/python"
STAMP  := $(VENV)/.installed

.PHONY: run test test-fast demo bench fuzz package clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c "import sys; sys.exit(0 if sys.version_info >= (3, 11) else 'PPDS Desktop needs Python 3.11 or newer')"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	$(PY) -m pip install -q --no-deps "pycanon>=1.3"
	@$(PY) -c "open('$(STAMP)', 'w').close()"

run: $(STAMP)
	$(PY) -m ppds_desktop --demo

# Everything, as CI runs it (CI=true also runs the packaging tests, which build the .deb).
test: export QT_QPA_PLATFORM = offscreen
test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

# While working: leaves out the tests marked slow or packaging (pyproject.toml's markers).
test-fast: export QT_QPA_PLATFORM = offscreen
test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow and not packaging" $(PYTEST_ARGS)

demo: $(STAMP)
	$(PY) -m ppds_desktop.cli demo

bench: $(STAMP)
	$(PY) -c "import glob, subprocess, sys; [subprocess.run([sys.executable, b], check=True) for b in sorted(glob.glob('benchmarks/bench_*.py'))]"

# Long mutation fuzzing of every parser of outside input (not in CI; coverage-guided with atheris).
FUZZ_ITERATIONS ?= 100000
fuzz: $(STAMP)
	$(PY) -m pip install -q -e ".[fuzz]"
	$(PY) tests/fuzz/harness.py --engine atheris --iterations $(FUZZ_ITERATIONS)

# The Linux .deb; the Windows and macOS installers are built by .github/workflows/installers.yml
# (packaging/README.md).
package: $(STAMP)
	bash packaging/linux/build.sh

clean:
	$(PYTHON) -c "import shutil; [shutil.rmtree(p, ignore_errors=True) for p in ('$(VENV)', 'build', 'dist', 'packaging/build')]"
