# Set-up and the two main commands; see README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test install

# Main job on the synthetic default: keyword spotting with the fbank_no_cmvn baseline,
# then the comparison table.
run: $(VENV)/.installed
	$(BIN)/superb run --upstream fbank_no_cmvn --task ks
	$(BIN)/superb run --upstream fbank --task ks
	$(BIN)/superb leaderboard --runs results --out results/leaderboard

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
