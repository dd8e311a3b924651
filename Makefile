# make run: everything on a fresh machine. make test: the whole suite.
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: run test lint install bench

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

# DEBUG is off unless asked (DEBUG=true make run): real error pages, gunicorn, WhiteNoise for static files.
run: $(STAMP)
	DEBUG=$${DEBUG:-false} SITE_URL=$${SITE_URL:-http://localhost:$(PORT)} WEB_PORT=$(PORT) \
	$(BIN)/python -m statuspage.devstack sh -c '\
	  python manage.py migrate --no-input -v 0 && \
	  python manage.py seed_demo && \
	  python manage.py ensure_staff_user && \
	  echo "Status page: $$SITE_URL/   (Ctrl-C stops everything)" && \
	  exec honcho start -f Procfile.dev'

test: $(STAMP)
	DEVSTACK_QUIET=1 $(BIN)/python -m statuspage.devstack $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# make bench: load figures side by side on this machine (README, "Benchmarks"); BENCH_QUICK=1 for a short run;
# BENCH_SMOKE=1 runs every phase at tiny counts (under 2 minutes, as CI does) and fails if any phase does.
bench: $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	BENCH_QUICK=$(BENCH_QUICK) BENCH_SMOKE=$(BENCH_SMOKE) $(BIN)/python -m bench.run $(BENCH_ARGS)
