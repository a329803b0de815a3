# vtc developer commands. `make demo` and `make test` work on a fresh machine:
# each creates .venv itself and installs the project into it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
VTC := $(VENV)/bin/vtc
STAMP := $(VENV)/.installed-stamp

.PHONY: setup demo test lint typecheck pytest bench clean docs

# Setup also installs the example third-party block library (docs/plugins.md),
# which tests/blocks/test_plugin_library.py and examples/models/rms_meter.json use.
$(STAMP): pyproject.toml examples/plugins/vtc-extra-blocks/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m pip install --quiet --no-deps -e examples/plugins/vtc-extra-blocks
	touch $(STAMP)

setup: $(STAMP)

## The main job on a shipped example: compile a model, check it against the reference.
demo: setup
	$(VTC) compile examples/models/pid_motor.json -o build/demo
	$(VTC) check examples/models/pid_motor.json --steps 200

## The whole test suite: lint, type check, tests.
test: setup lint typecheck pytest

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# mypy sees the installed layout (vtc.compiler, vtc.app, ...) through a link tree,
# because setuptools' editable finder for package-dir mappings is invisible to it.
typecheck: setup
	@rm -rf .mypy_tree && mkdir -p .mypy_tree/vtc
	@for d in app compiler blocks resources; do ln -s ../../$$d .mypy_tree/vtc/$$d; done
	$(PY) -m mypy -p vtc.compiler -p vtc.app -p vtc.blocks -p vtc.resources

pytest: setup
	$(PY) -m pytest -n 2 -q

docs: setup
	$(PY) -m vtc.compiler.machine.isadoc --write docs/isa.md

bench: setup
	$(PY) benchmarks/schedule_quality.py --jobs 2
	$(PY) benchmarks/throughput.py
	$(PY) benchmarks/bitstream_speed.py
	$(PY) benchmarks/compile_speed.py
	$(PY) benchmarks/opt_levels.py
	$(PY) benchmarks/editor_open.py

clean:
	rm -rf build .mypy_tree .pytest_cache .mypy_cache .ruff_cache
