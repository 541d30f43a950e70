# Set-up and the two main commands; see README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test install

# Main job on the synthetic default: every task for the fbank_no_cmvn and fbank baselines,
# through the sweep (extract once per upstream, two jobs at once, resumable), then the table.
run: $(VENV)/.installed
	$(BIN)/superb sweep --upstreams fbank_no_cmvn,fbank --tasks all --lrs task --jobs 2

test: $(VENV)/.installed
	$(BIN)/python -m pytest

install: $(VENV)/.installed

# torch first, pinned, then torchaudio (the only pair that installs here), then the rest.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --progress-bar on torch==2.9.1
	$(BIN)/pip install --progress-bar on torch==2.9.1 'torchaudio==2.9.*'
	$(BIN)/pip install --progress-bar on -e '.[test]'
	touch $@
