# Two commands matter: `make run` and `make test`. Both work on a fresh machine with only
# Python 3.11 and make: they create .venv and install what they need on first use.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test bench mutation lint format install install-dev migrate clean patient-css

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Re-install when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(VENV)/bin/activate
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

var:
	mkdir -p var

migrate: install | var
	$(PY) manage.py migrate --no-input

run: migrate
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install-dev | var
	$(PY) -m pytest

bench: install-dev | var
	$(PY) bench/run.py

# static/screening/css/patient.css, the patient pages' one stylesheet: the Bootstrap rules those
# pages use (found by rendering every one of them) and app.css. Run it after changing a patient
# template or app.css; tests/test_patient_css.py fails while the file is out of date.
patient-css: install
	$(PY) tools/build_patient_css.py

# On demand, never in CI: mutation testing of the pure engine (screening/engine/) against its
# database-free tests; configuration in pyproject.toml's [tool.mutmut]. Takes about 8 minutes.
$(VENV)/.installed-mutation: pyproject.toml $(VENV)/.installed-dev
	$(PY) -m pip install --quiet -e ".[dev,mutation]"
	touch $@

mutation: $(VENV)/.installed-mutation
	rm -rf mutants
	$(VENV)/bin/mutmut run --max-children 2
	$(VENV)/bin/mutmut results

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache mutants
