# Two entry points that work on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test test-fast eval bench clean

$(BIN)/pipeline: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,ray]'
	@touch $@

demo: $(BIN)/pipeline  ## set up, then clean samples/ into outputs/samples
	$(BIN)/pipeline run samples/ --out outputs/samples --overwrite
	$(BIN)/pipeline stats outputs/samples

test: $(BIN)/pipeline  ## set up, then run the whole test suite (slow tests included)
	$(BIN)/python -m pytest -q

test-fast: $(BIN)/pipeline  ## skip tests marked slow
	$(BIN)/python -m pytest -q -m 'not slow'

eval: $(BIN)/pipeline  ## cleaning quality on ../shared/data
	$(BIN)/python benchmarks/eval_cleaning.py

clean:
	rm -rf $(VENV) outputs/samples
