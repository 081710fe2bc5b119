# Semantic search service: `make run` and `make test` do all the set-up on a fresh machine.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
RAY_STAMP := $(VENV)/.installed-ray
# `SEMSEARCH_EXECUTOR=ray make index` installs Ray first (an optional extra).
INDEX_DEPS := $(if $(filter ray,$(SEMSEARCH_EXECUTOR)),install-ray,install)
HOST ?= $(or $(SEMSEARCH_HOST),127.0.0.1)
PORT ?= $(or $(SEMSEARCH_PORT),8000)
# SciFact stays outside the repository (its licence); without it `make eval` runs the essay evaluation.
SCIFACT ?= ../shared/eval/scifact
CHROMIUM := /usr/bin/chromium
# A real third-party PDF and HTML manual for the document-format tests (Debian's libtasn1-doc).
MANUAL := /usr/share/doc/libtasn1-doc/libtasn1.pdf
WRK := /usr/bin/wrk
# Real libraries for `make eval`, `calibrate` and `crosscorpus` (Debian's documentation packages).
LIBRARIES := /usr/share/doc/debian-handbook/html/en-US /usr/share/doc/python3.11/html /usr/share/developers-reference
# The load balancer of the replicas test (deploy/haproxy.cfg).
HAPROXY := /usr/sbin/haproxy
# axe-core for the accessibility tests, from the npm registry, kept out of the repository (.cache/).
AXE_VERSION := 4.14.1
AXE := .cache/axe/node_modules/axe-core/axe.min.js
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RUN := SEMSEARCH_HOST=$(HOST) SEMSEARCH_PORT=$(PORT) HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1

.PHONY: help install install-ray install-dev run index serve test test-fast lint settings-table screenshots eval calibrate crosscorpus bench bench-txtai soak clean

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first and pinned: an unpinned torch pulls a multi-GB CUDA build.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e .
	touch $(STAMP)

$(RAY_STAMP): $(STAMP)
	$(PY) -m pip install -q -e '.[ray]'
	touch $(RAY_STAMP)

$(DEV_STAMP): $(STAMP)
	$(PY) -m pip install -q -e '.[dev,eval,ray]'
	touch $(DEV_STAMP)

install: $(STAMP)  ## Create .venv and install the service and indexer (a no-op when done)

install-ray: $(RAY_STAMP)  ## install, plus Ray for SEMSEARCH_EXECUTOR=ray builds

install-dev: $(DEV_STAMP)  ## install, plus the test, lint and evaluation tools and Ray

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium

$(MANUAL):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq libtasn1-doc

$(HAPROXY):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq haproxy

$(AXE):
	command -v npm >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq npm; }
	npm install --prefix .cache/axe --no-save --no-audit --no-fund axe-core@$(AXE_VERSION)

$(LIBRARIES):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq debian-handbook python3.11-doc developers-reference

$(WRK):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk hey

run: install index serve  ## Install, index seeds/, serve on HOST:PORT (127.0.0.1:8000)

index: $(INDEX_DEPS)  ## Batch re-index the corpus (incremental; SEMSEARCH_* settings apply)
	$(RUN) $(PY) -m indexer build

serve: install  ## Serve the API and the web page on HOST:PORT
	$(RUN) $(PY) -m service

test: install-dev $(CHROMIUM) $(MANUAL) $(HAPROXY) $(AXE)  ## Install, then run the whole test suite
	$(RUN) $(PY) -m pytest -q

test-fast: install-dev  ## The fast tier (fake embedder, no browser): run it before every commit
	$(RUN) $(PY) -m pytest -q -m "not slow"

lint: install-dev  ## ruff and mypy
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

settings-table: install-dev  ## Rewrite the README's settings tables from the settings classes
	$(PY) -m tests.settings_table README.md

screenshots: install-dev $(CHROMIUM)  ## The README's pictures (docs/img/): a real build of seeds/, served, in Chromium
	$(RUN) $(PY) -m tests.e2e.screenshots

eval: install-dev $(LIBRARIES)  ## Ranking modes on the essay questions and SciFact (SCIFACT=dir); writes docs/evaluation.md
	$(RUN) $(PY) -m evaluation suite --scifact $(SCIFACT) --out docs/evaluation.md

calibrate: install-dev $(LIBRARIES)  ## Refit low_confidence on every corpus's tuning questions; prints weights, threshold, tables
	$(RUN) $(PY) -m evaluation calibrate --questions eval/questions --scifact $(SCIFACT)

crosscorpus: install-dev $(LIBRARIES)  ## low_confidence on the essay, the handbooks and SciFact, each asked the others' (SPLIT=test)
	$(RUN) $(PY) -m evaluation crosscorpus --questions eval/questions --scifact $(SCIFACT) --split $(or $(SPLIT),tuning)

bench: install-dev $(WRK)  ## Floor, HTTP, build, cold start and scale benchmarks; writes docs/benchmarks.md
	$(RUN) $(PY) -m bench.run

bench-txtai: install-dev $(WRK)  ## Our service vs txtai 9.14's API on the same passages (own venv in .bench/)
	$(RUN) $(PY) -m bench.peer_txtai

soak: install-dev $(WRK)  ## 10 minutes of wrk at concurrency 16 with a re-index every minute (SOAK_SECONDS=)
	$(RUN) $(PY) -m bench.soak

clean:  ## Remove the index and caches (keeps .venv)
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
