# The two commands of the README: `make demo` and `make test`. Both set up everything they need:
# a virtual environment with the project installed, and the local Kafka broker (jars from Maven
# Central on first use).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test worker stop clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/stocksync demo

test: $(STAMP)
	$(BIN)/pytest

worker: $(STAMP)
	$(BIN)/stocksync kafka start
	$(BIN)/stocksync worker

stop: $(STAMP)
	$(BIN)/stocksync kafka stop

clean:
	-$(BIN)/stocksync kafka stop
	rm -rf $(VENV) .stocksync
