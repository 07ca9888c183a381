# member-confirm: `make demo` runs the product locally (web app, outbox sender and reminder
# scheduler together, see tools/demo.sh), `make test` runs the whole suite.
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
# the exported workbooks, Chromium driving the pages).
RUN_DEBS := fonts-wqy-microhei
TEST_DEBS := $(RUN_DEBS) mariadb-server poppler-utils libreoffice-calc-nogui python3-uno chromium

.PHONY: demo serve test test-sqlite test-mariadb debs clean

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

test: test-sqlite test-mariadb

test-sqlite: $(VENV)/.installed debs
	$(BIN)/python -m pytest -q

# The database suite again, on a real MariaDB server started here (tools/mariadb.sh).
test-mariadb: $(VENV)/.installed debs
	tools/mariadb.sh start
	TEST_DATABASE_URL=$(MARIADB_URL) $(BIN)/python -m pytest -q -m db

clean:
	-tools/mariadb.sh stop
	rm -rf $(VENV) .mariadb .pytest_cache .hypothesis
