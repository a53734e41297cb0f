# The two commands of the README: `make demo` and `make test`. Both set up everything they need:
# a virtual environment with the project installed, and the local Kafka broker (jars from Maven
# Central on first use).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test worker stop clean chromium

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/stocksync demo

test: $(STAMP) chromium
	$(BIN)/pytest

# The web console's browser test drives Debian's chromium (never a browser Playwright downloads):
# installed with apt-get when missing, as root or through sudo without a password.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" -eq 0 ]; then sudo=; else sudo="sudo -n"; fi; \
	  $$sudo apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q chromium </dev/null; }

worker: $(STAMP)
	$(BIN)/stocksync kafka start
	$(BIN)/stocksync worker

stop: $(STAMP)
	$(BIN)/stocksync kafka stop

clean:
	-$(BIN)/stocksync kafka stop
	rm -rf $(VENV) .stocksync
