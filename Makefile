# Open oefenvragen — ML-infrastructuur. Two commands are the contract (see README): `make lab` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
# nbgrader shells out to `alembic` and `jupyter`: the venv's bin/ goes first on PATH.
export PATH := $(abspath $(VENV))/bin:$(PATH)
# Optional: a CPU-only torch wheel index for laptops (small install), e.g.
#   make lab TORCH_INDEX=https://download.pytorch.org/whl/cpu
TORCH_INDEX ?=
PYTEST_ARGS ?=
WORKERS ?= 2
LAB_ARGS ?=

.PHONY: install lab test build build-one check lint fmt bench bench-suite grade bench-grading clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
ifneq ($(TORCH_INDEX),)
	$(PY) -m pip install --quiet --index-url $(TORCH_INDEX) "torch>=2.6" torchvision
endif
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

## make lab: set up, build the course and start JupyterLab on it (students open release/, instructors source/)
lab: install build
	$(VENV)/bin/jupyter lab --ServerApp.root_dir="$(CURDIR)" --ServerApp.default_url=/lab/tree/release $(LAB_ARGS) \
		$(if $(filter 0,$(shell id -u)),--allow-root)

## make test: set up and run every test (lint, package, build sync, execution, nbgrader round trips, leaks)
## Each question's nbgrader round trip runs once per session (tests/conftest.py); the summary line counts them.
test: install browser-deps
	$(PY) -m pytest -n $(WORKERS) --durations=15 $(PYTEST_ARGS)

## make browser-deps: Debian's Chromium for tests/test_browser.py (the student's view), installed only when missing
.PHONY: browser-deps
browser-deps:
	@if [ -x /usr/bin/chromium ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then \
		echo "make browser-deps: /usr/bin/chromium is missing and this is not root on Debian/Ubuntu." >&2; \
		echo "  Install it once with: sudo apt-get install chromium chromium-driver   (or: sudo make browser-deps)" >&2; \
		exit 1; \
	fi; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get install -y -q chromium chromium-driver || { apt-get update -q && apt-get install -y -q chromium chromium-driver; }

## make build: notebooks/*.py -> source/ -> release/ (and the README table); deterministic
build: install
	$(PY) -m mlinfra.course build

## make build-one Q=qNN_slug: build one question while authoring it (README table untouched)
build-one: install
	$(PY) -m mlinfra.course build --only $(Q)

## make check: fail, naming each stale file, when source/ or release/ drift from notebooks/
check: install
	$(PY) -m mlinfra.course check

## make lint: ruff lint and format check (also part of make test); `make fmt` rewrites
lint: install
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

fmt: install
	$(VENV)/bin/ruff check --fix . && $(VENV)/bin/ruff format .

## make bench: runtime and peak memory of every notebook (reader mode and autograde mode)
bench: install
	$(PY) scripts/bench.py

## make bench-suite: time the whole test suite (per-question round trips) -> bench/test-suite.md
bench-suite: install
	$(PY) scripts/bench_suite.py --workers $(WORKERS)

## make grade: autograde every submission in the course at the repository root in parallel (mlinfra grade: fork
## kernels, per-notebook limits, isolated kernels, progress bar, summary), then feedback and grades.csv. With nothing handed in yet it
## first hands in a demo class (solution, blank, wrong answers). GRADE_ARGS="--course DIR -j 4 --demo"
GRADE_ARGS ?=
grade: install
	$(PY) scripts/grade_demo.py $(GRADE_ARGS)

## make bench-grading: a synthetic class graded by plain nbgrader and by mlinfra grade -> bench/grading.md
bench-grading: install
	$(PY) scripts/bench_grading.py

clean:
	rm -rf gradebook submitted autograded feedback grades.csv .pytest_cache
