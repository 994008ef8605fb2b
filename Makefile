# paperradar: `make run` (main job on the bundled sample) and `make test` (whole suite).
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (or set PYTHON=python3)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/paperradar run

test: $(STAMP)
	$(BIN)/ruff check paperradar tests bench
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check paperradar tests bench

bench: $(STAMP)
	$(BIN)/python bench/ingest_bench.py
	$(BIN)/python bench/render_bench.py

clean:
	rm -rf $(VENV) site build *.egg-info
