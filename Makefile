# Two commands on a fresh machine: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
PIP := $(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt

.PHONY: run test bench fuzz install install-dev assets translations messages test-sqlite test-postgresql lint clean

run: install
	$(BIN)/koepel db upgrade
	$(BIN)/koepel demo
	$(BIN)/koepel run --host 127.0.0.1 --port $(PORT)

test: install-dev
	bash scripts/install-system-packages.sh
	$(BIN)/ruff check --quiet .
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgresql

# Load at demo scale: PostgreSQL filled by the generator, gunicorn, wrk (bench/run.py).
# It measures and writes bench/results/latest.md; it asserts nothing, so it is not a test.
bench: install-dev
	bash scripts/install-system-packages.sh
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# The suite fuzzes the API with a few examples per operation; this runs many more.
fuzz: install-dev
	bash scripts/install-system-packages.sh
	mkdir -p test-output
	KOEPEL_FUZZ_EXAMPLES=$(or $(FUZZ_EXAMPLES),50) KOEPEL_FUZZ_STATS=$(or $(FUZZ_STATS),test-output/fuzz-stats.txt) KOEPEL_TEST_DB=postgresql \
		$(BIN)/python -m pytest -q -p no:cacheprovider tests/test_fuzz_api.py $(PYTEST_ARGS)

test-sqlite: install-dev
	KOEPEL_TEST_DB=sqlite $(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgresql: install-dev
	KOEPEL_TEST_DB=postgresql $(BIN)/python -m pytest $(PYTEST_ARGS)

install: $(VENV)/.stamp-run assets translations
install-dev: $(VENV)/.stamp-dev assets translations

$(VENV)/.stamp-run: pyproject.toml setup.py constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) -e .
	touch $@

$(VENV)/.stamp-dev: $(VENV)/.stamp-run
	$(PIP) -e '.[dev]'
	touch $@

# NL Design System CSS, its fonts and axe-core come from the npm registry and are
# copied to platform/static/vendor/; nothing is loaded from a CDN at run time.
assets: platform/static/vendor/versions.json

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

platform/static/vendor/versions.json: node_modules/.package-lock.json scripts/build_assets.py
	$(PYTHON) scripts/build_assets.py

# Compiled catalogues (.mo) are build output; the .po files are the source.
translations: $(VENV)/.stamp-run
	$(BIN)/pybabel compile -d platform/translations -D messages > /dev/null

# For developers: refresh the catalogue after changing texts.
messages: $(VENV)/.stamp-run
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ -k lazy_gettext -k lazy_pgettext:1c,2 --ignore-dirs=".venv node_modules" \
		-o platform/translations/messages.pot .
	$(BIN)/pybabel update -i platform/translations/messages.pot -d platform/translations

lint: install-dev
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) node_modules platform/static/vendor instance
