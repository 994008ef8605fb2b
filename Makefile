# paperradar: `make run` (main job on the bundled sample) and `make test` (whole suite).
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TOOLS  := $(VENV)/.test-tools

.PHONY: run serve test lint bench clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (or run: make PYTHON=python3 ...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# Things the test suite drives for real: headless Chromium (web/digest checks) and a tiny local
# LLM served by llama-cpp-python (end-to-end test of the LLM summary path).
$(TOOLS): $(STAMP) scripts/install-test-tools.sh
	PIP="$(BIN)/pip" sh scripts/install-test-tools.sh
	touch $(TOOLS)

run: $(STAMP)
	$(BIN)/paperradar run

# The website of the store `make run` filled, on http://127.0.0.1:8000/ (Ctrl-C stops).
serve: $(STAMP)
	$(BIN)/paperradar serve

test: $(TOOLS)
	$(BIN)/ruff check paperradar tests bench scripts
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check paperradar tests bench scripts
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/ingest_bench.py
	$(BIN)/python bench/render_bench.py

clean:
	rm -rf $(VENV) site build *.egg-info
