# member-confirm: `make demo` runs the product locally (web app, outbox sender and reminder
# scheduler together, see tools/demo.sh), `make test` runs the whole suite, `make test-fast`
# the quick part of it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_MEMBERS ?= 300
# `DEMO_PORT=8080 make demo` serves the demo (and points its messages' links) on port 8080.
DEMO_PORT ?= 5000
MARIADB_PORT ?= 33306
MARIADB_URL := mysql+pymysql://mc:mc@127.0.0.1:$(MARIADB_PORT)/member_confirm_test
# Debian packages the product needs (a TrueType CJK font for the printed forms) and those the
# test suite drives for real (database server, PDF rendering to images, LibreOffice opening
# the exported workbooks, Chromium driving the pages, libfaketime moving the clock).
RUN_DEBS := fonts-wqy-microhei
TEST_DEBS := $(RUN_DEBS) mariadb-server poppler-utils libreoffice-calc-nogui python3-uno chromium \
	faketime
# How far `make test-future` moves the clock: over a year, so a date pinned near today is past.
FUTURE ?= +400d

.PHONY: demo serve test test-fast test-sqlite test-future test-mariadb lint debs clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

# Demo mode (FLASK_DEMO): keys generated into instance/, the /console page, cookies over
# plain http. `make serve` and service.wsgi refuse it.
demo: export FLASK_DEMO = 1
demo: $(VENV)/.installed
	tools/ensure-debs.sh $(RUN_DEBS)
	$(BIN)/flask --app service db upgrade
	$(BIN)/flask --app service demo seed --members $(DEMO_MEMBERS) --seed 1 --if-empty
	$(BIN)/flask --app service demo campaign
	BIN=$(BIN) DEMO_PORT=$(DEMO_PORT) tools/demo.sh

# The production web server (deploy/ has the systemd units): FLASK_SECRET_KEY, FLASK_DATA_KEY
# and the database URL come from the environment; run `flask db upgrade` first. Exports of a
# large roster are built within the request, hence the long timeout.
WEB_WORKERS ?= 4
BIND ?= 127.0.0.1:8000
serve: $(VENV)/.installed
	$(BIN)/gunicorn --workers $(WEB_WORKERS) --bind $(BIND) --timeout 120 \
		--graceful-timeout 30 --keep-alive 5 service.wsgi:app

debs:
	tools/ensure-debs.sh $(TEST_DEBS)

# Everything: the SQLite suite, again with the clock moved ahead, the database tests on
# MariaDB, and lint.
test: test-sqlite test-future test-mariadb lint

# The quick loop while working: leaves out the long tests (marker slow) and the browser ones.
test-fast: $(VENV)/.installed debs
	$(BIN)/python -m pytest -q -m "not slow and not browser"

test-sqlite: $(VENV)/.installed debs
	$(BIN)/python -m pytest -q

# The SQLite suite (browser tests aside) with the process clock moved $(FUTURE) ahead
# (libfaketime): no test may depend on today's date, and the product must keep working in a
# year its holiday calendar does not know yet. The offset is relative, so the child processes
# some tests start (they inherit the environment) see the same time.
test-future: $(VENV)/.installed debs
	faketime -f $(FUTURE) $(BIN)/python -m pytest -q -m "not browser"

# The database suite again, on a real MariaDB server started here (tools/mariadb.sh).
test-mariadb: $(VENV)/.installed debs
	tools/mariadb.sh start
	TEST_DATABASE_URL=$(MARIADB_URL) $(BIN)/python -m pytest -q -m db

lint: $(VENV)/.installed
	$(BIN)/ruff check .

clean:
	-tools/mariadb.sh stop
	rm -rf $(VENV) .mariadb .pytest_cache .hypothesis
