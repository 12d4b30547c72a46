# The two commands: `make run` (build the catalogue and serve the portal) and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
export PORT
# The demo harvests read only this folder (the settings refuse anything else).
ATLAS_HARVEST_FILE_ROOTS ?= $(CURDIR)/var/demo
export ATLAS_HARVEST_FILE_ROOTS

.PHONY: run test venv dev-venv setup serve lint clean

$(VENV)/.run-installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.run-installed $@

venv: $(VENV)/.run-installed
dev-venv: $(VENV)/.dev-installed

## setup: migrate, load vocabularies, run the demo harvests, build the search index (idempotent)
setup: venv
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_vocabularies
	$(PY) manage.py atlas_demo
	$(PY) manage.py collectstatic --no-input --verbosity 0
	$(PY) manage.py search_rebuild

## run: build the catalogue from real sources and serve the portal on http://127.0.0.1:$(PORT)
run: setup
	@echo "Serving the atlas on http://127.0.0.1:$(PORT) (Ctrl-C to stop)"
	$(VENV)/bin/gunicorn config.wsgi --bind 127.0.0.1:$(PORT) --workers 2 --threads 4 --access-logfile -

## test: install the dev requirements and run the whole test suite
test: dev-venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(PY) -m pytest

lint: dev-venv
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
