# Two entry points, used by the README and by .ci/run:
#   make demo   set up .venv, load the sample items, build the sample issue
#   make test   set up .venv, then lint, type-check and run the whole test suite
#               (on SQLite and on a PostgreSQL server it starts itself)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint browser postgres spamassassin bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "enews needs Python >= 3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/enews demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Browser tests drive the system's chromium (Debian package); install it
# when missing and we may (root), else say how.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium for the browser tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq chromium >/dev/null; \
	  else echo "note: chromium missing, browser tests will be skipped" \
	    "(sudo apt-get install chromium)"; fi; }

# The suite starts its own PostgreSQL server (initdb + pg_ctl into a temporary
# folder, Unix socket only) to run the storage, import, build and web tests
# on it too; install the server binaries when missing and we may (root).
postgres:
	@{ command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing postgresql for the PostgreSQL tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq postgresql >/dev/null; \
	  else echo "note: postgresql missing, PostgreSQL tests will be skipped" \
	    "(sudo apt-get install postgresql)"; fi; }

# The spam check's tests score built issues with the system's spamassassin
# (Debian package; its shipped rules and local tests only, so no sa-update
# and no network). Without recommends: they pull in sa-compile (a C
# compiler, and rules compiled at install) and network-test modules, none
# of which changes a local score.
spamassassin:
	@command -v spamassassin >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing spamassassin for the spam check tests..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq --no-install-recommends spamassassin >/dev/null; \
	  else echo "note: spamassassin missing, spam check tests will be skipped" \
	    "(sudo apt-get install spamassassin)"; fi; }

test: lint browser postgres spamassassin
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_build.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
