# geo_risk — the README's two commands:
#   make demo   set everything up and serve the sample city (吉林市, synthetic) with its web map
#   make test   set everything up and run the whole test suite against a real PostGIS
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LEAFLET := layers/static/vendor/leaflet/leaflet.js

.PHONY: demo test setup system-deps vendor lint bench bench-smoke clean-db

demo: setup
	$(BIN)/geo-risk demo

test: setup
	$(BIN)/python -m pytest

setup: system-deps $(STAMP) $(LEAFLET)

system-deps:
	@bash scripts/system-deps.sh

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $(STAMP)

$(LEAFLET): layers/web/package.json layers/web/package-lock.json
	bash layers/web/build.sh

vendor:
	bash layers/web/build.sh

lint: $(STAMP)
	$(BIN)/ruff check .

bench: setup
	$(BIN)/python benchmarks/load.py

# A small run of every benchmark (loading, grading, risk engine, tiles) printing their ratios in a
# minute or two: run it before stopping, so that a regression shows.
bench-smoke: setup
	$(BIN)/python benchmarks/smoke.py

clean-db:
	-$(BIN)/geo-risk db down
	rm -rf .geo_risk/pg
