# Two set-up commands on a fresh machine (see README):
#   make build   install into .venv and build the index from the shipped corpus/
#   make test    install into .venv and run the test suite
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: build test bench eval clean

$(BIN)/kb: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/kb

build: $(BIN)/kb
	$(BIN)/kb build

test: $(BIN)/kb
	scripts/ensure-test-packages
	$(BIN)/python -m pytest -n 2 --dist loadfile

bench: $(BIN)/kb
	bench/run

eval: $(BIN)/kb
	eval/run

clean:
	rm -rf $(VENV) build *.egg-info
