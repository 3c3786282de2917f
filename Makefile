# Dialdesk: `make run` installs everything and runs the product; `make test` runs the checks.
SHELL := /bin/sh
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Unit tests run on every core (pytest-xdist); TEST_WORKERS=0 runs them in one process.
TEST_WORKERS ?= auto

.PHONY: run test bootstrap e2e lint format lock clean

run: export DEBUG ?= true
run: bootstrap
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable
	$(PY) manage.py load_demo --sandbox-url http://$(HOST):$(PORT)/sandbox
	$(PY) manage.py serve --host $(HOST) --port $(PORT)

test: bootstrap
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DEBUG=true $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest -n $(TEST_WORKERS) -m "not services and not e2e" $(PYTEST_ARGS)

e2e: bootstrap
	$(VENV)/bin/pytest -m e2e $(PYTEST_ARGS)

bootstrap: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	@PYTHON_BIN=$$(scripts/find-python) || exit 1; \
	  echo "Using $$PYTHON_BIN"; \
	  [ -x $(PY) ] || "$$PYTHON_BIN" -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	touch $@

lint: bootstrap
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Re-pin after changing pyproject.toml's dependencies.
lock: bootstrap
	$(PY) -m pip install --quiet -e '.[dev]' && $(PY) -m pip uninstall -y -q dialdesk
	$(PY) -m pip freeze --exclude-editable | grep -v '^dialdesk' > requirements.lock

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles media
