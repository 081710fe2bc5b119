# Semantic search service: `make run` and `make test` do all the set-up on a fresh machine.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= $(or $(SEMSEARCH_HOST),127.0.0.1)
PORT ?= $(or $(SEMSEARCH_PORT),8000)
EVAL_FILE ?= ../shared/eval/seed-dev.jsonl
CHROMIUM := /usr/bin/chromium
WRK := /usr/bin/wrk
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RUN := SEMSEARCH_HOST=$(HOST) SEMSEARCH_PORT=$(PORT) HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1

.PHONY: help install run index serve test lint eval bench bench-txtai soak clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first and pinned: an unpinned torch pulls a multi-GB CUDA build.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)  ## Create .venv and install everything (a no-op when done)

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium

$(WRK):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk hey

run: install index serve  ## Install, index seeds/, serve on HOST:PORT (127.0.0.1:8000)

index: install  ## Batch re-index the corpus (incremental; SEMSEARCH_* settings apply)
	$(RUN) $(PY) -m indexer build

serve: install  ## Serve the API and the web page on HOST:PORT
	$(RUN) $(PY) -m service

test: install $(CHROMIUM)  ## Install, then run the whole test suite
	$(RUN) $(PY) -m pytest -q

lint: install  ## ruff and mypy
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

eval: install  ## Ranking modes on the dev questions and SciFact; writes docs/evaluation.md
	$(RUN) $(PY) -m indexer eval-suite --dev $(EVAL_FILE) --scifact ../shared/eval/scifact --out docs/evaluation.md

bench: install $(WRK)  ## Floor, HTTP, build, cold start and scale benchmarks; writes docs/benchmarks.md
	$(RUN) $(PY) -m bench.run

bench-txtai: install $(WRK)  ## Our service vs txtai 9.14's API on the same passages (own venv in .bench/)
	$(RUN) $(PY) -m bench.peer_txtai

soak: install $(WRK)  ## 10 minutes of wrk at concurrency 16 with a re-index every minute (SOAK_SECONDS=)
	$(RUN) $(PY) -m bench.soak

clean:  ## Remove the index and caches (keeps .venv)
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
