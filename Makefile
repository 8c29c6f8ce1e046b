# Every target bootstraps .venv from pyproject.toml when it is missing or older than pyproject.toml.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: generate docs check test fixtures record bench venv clean packages

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

generate: $(STAMP)
	$(BIN)/python -m generator generate

# One installable distribution per spec in dist/ (pyproject.toml, README, the client and its
# own runtime); build a wheel of one with `pip wheel --no-deps dist/<name>-client`.
packages: $(STAMP)
	$(BIN)/python -m generator package --out dist

# The Markdown API reference (make generate writes it too).
docs: $(STAMP)
	$(BIN)/python -m generator docs

check: $(STAMP)
	$(BIN)/python -m generator check
	$(BIN)/python -m generator fixtures --check
	$(BIN)/python -m mypy --strict generated
	$(BIN)/python -m ruff check generator generated tests

# Every test, offline; the modules are spread over the CPUs (pytest-xdist, whole modules per
# worker, as their fixtures are module-scoped; the hostile-answer sweeps function by function:
# tests/conftest.py). One module alone: .venv/bin/python -m pytest FILE.
test: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist loadgroup

# Rebuild the HTTP cassettes in tests/fixtures/ from the examples in the specs.
fixtures: $(STAMP)
	$(BIN)/python -m generator fixtures

# Re-record the cassettes against the live vendors. Credentials and addresses come from the
# environment (SPECGEN_<API>_<SETTING>, SPECGEN_<API>_BASE_URL); they are scrubbed before writing.
# Narrow it with RECORD_ARGS, e.g. RECORD_ARGS="-k mailstore_server.get_server_info".
record: $(STAMP)
	SPECGEN_RECORD=1 $(BIN)/python -m pytest tests/test_examples.py --record-mode=all $(RECORD_ARGS)

# Benchmarks (figures with targets; writes bench/RESULTS.md). pylleida 0.2.6 is installed
# without its dependencies (its pins do not import on Python 3.11) beside current ones, and
# openapi-python-client gets a virtualenv of its own.
OPC := .venv-opc/bin/openapi-python-client

bench: $(STAMP) $(OPC)
	$(BIN)/python -m pip install --quiet "xmltodict>=0.13,<1"
	$(BIN)/python -m pip install --quiet --no-deps pylleida==0.2.6
	SPECGEN_OPC=$(OPC) $(BIN)/python -m bench.run

$(OPC):
	$(PYTHON) -m venv .venv-opc
	.venv-opc/bin/python -m pip install --quiet "openapi-python-client==0.29.*"

clean:
	rm -rf $(VENV) .venv-opc .specgen-cache .pytest_cache .mypy_cache .ruff_cache
