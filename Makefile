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

# Mutation testing of the modules that decide answers (docs/mutation-testing.md): mutmut mutates them
# ([tool.mutmut] in pyproject.toml), runs their tests against each mutant on one shared throwaway PostGIS,
# and prints the share killed per module. Results are cached in mutants/: a re-run tests only what changed.
# MUTANTS='geo_risk.store.cql2.*' limits a run to some modules.
MUTANTS ?=
mutants: setup
	@pg=$$(mktemp -d /tmp/geo_risk_mutants_pg.XXXXXX); chmod 755 $$pg; \
	GEO_RISK_TEST_SHARED_PG=$$pg/cluster nice -n 10 $(BIN)/mutmut run --max-children 2 $(MUTANTS); status=$$?; \
	$(BIN)/python -c 'import sys, pathlib, geo_risk.store.embedded as e; e.EmbeddedCluster(pathlib.Path(sys.argv[1])).destroy()' $$pg/cluster; \
	rm -rf $$pg; \
	$(BIN)/mutmut results --all true | awk -F': ' '{ n = $$1; sub(/^ +/, "", n); sub(/\.x[^.]*$$/, "", n); \
	  all[n]++; if ($$2 == "killed" || $$2 == "timeout") dead[n]++; } \
	  END { for (n in all) printf "%-28s %5.1f %% killed (%d of %d)\n", n, 100 * dead[n] / all[n], dead[n], all[n] }' | sort; \
	exit $$status
