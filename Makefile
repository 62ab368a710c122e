# Two entry points that work on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test test-fast eval train bench clean chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Stamps: reinstall when pyproject.toml changes.
$(VENV)/.installed-base: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

# Tests also need the ray extra: the 2-node Ray cluster test runs in CI.
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,ray]'
	@touch $@ $(VENV)/.installed-base

demo: $(VENV)/.installed-base  ## set up, then clean samples/ into outputs/samples
	$(BIN)/pipeline run samples/ --out outputs/samples --overwrite
	$(BIN)/pipeline stats outputs/samples
	$(BIN)/pipeline report outputs/samples

# NEWSCLEAN_REQUIRE_ALL=1 in the environment (.ci/run sets it) makes every skipped test a failure.
test: $(VENV)/.installed-test chromium  ## set up, then run the whole test suite (slow tests included)
	$(BIN)/python -m pytest -q

# The browser tests need Debian's chromium: installed here when missing and we are root (CI);
# otherwise a clear message, and those tests skip (fail under NEWSCLEAN_REQUIRE_ALL=1).
CHROMIUM ?= /usr/bin/chromium
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "chromium is absent: apt-get install -y --no-install-recommends chromium"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null \
	    || { DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null; } \
	    || echo "make: could not install chromium; the browser tests will skip (fail under NEWSCLEAN_REQUIRE_ALL=1)" >&2; \
	  else \
	    echo "make: $(CHROMIUM) is absent and this is not root: install it (sudo apt-get install chromium) to run the browser tests; they skip now (fail under NEWSCLEAN_REQUIRE_ALL=1)" >&2; \
	  fi; \
	fi

test-fast: $(VENV)/.installed-test  ## skip tests marked slow
	$(BIN)/python -m pytest -q -m 'not slow'

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[bench]'
	@touch $@ $(VENV)/.installed-base

eval: $(VENV)/.installed-bench  ## cleaning quality on ../shared/data (held-out real pages included)
	$(BIN)/python benchmarks/eval_cleaning.py

train: $(VENV)/.installed-bench  ## rebuild the labelled real-page lines, retrain the content and page models (WCXB dev only)
	$(BIN)/python benchmarks/content_data.py
	$(BIN)/python benchmarks/train_content_model.py
	$(BIN)/python benchmarks/train_page_model.py

bench: $(VENV)/.installed-bench  ## dedup vs datasketch, then memory at N and 10N documents (../shared/data)
	$(BIN)/python benchmarks/dedup_bench.py
	$(BIN)/python benchmarks/scale_bench.py

clean:
	rm -rf $(VENV) outputs/samples
