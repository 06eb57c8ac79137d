# The two set-up commands of the README: both create .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# SCALE-Sim (the systolic oracle) needs numpy < 2, so it gets its own venv inside the project
# (git-ignored); tests and benchmarks find it through ARCHGYM_SCALESIM_PYTHON.
SCALESIM_VENV ?= .scalesim-venv
SCALESIM_PYTHON ?= $(SCALESIM_VENV)/bin/python

.PHONY: demo test install clean scalesim-venv validate validate-scalesim

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/archgym demo --store runs/demo.db
	$(BIN)/archgym sweep configs/sweeps/demo.yaml --store runs/demo.db
	$(BIN)/archgym report --store runs/demo.db --out runs/demo-report

test: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m pytest

$(SCALESIM_VENV)/.installed:
	test -d $(SCALESIM_VENV) || $(PYTHON) -m venv $(SCALESIM_VENV)
	$(SCALESIM_VENV)/bin/python -m pip install --quiet "numpy<2" "scalesim==3.0.0"
	touch $@

scalesim-venv: $(SCALESIM_VENV)/.installed

# docs/validation.md from benchmarks/validate.py (model figures against published ones)
validate: $(STAMP)
	$(BIN)/python benchmarks/validate.py

# the live SCALE-Sim comparison: its tests, then the report with the SCALE-Sim rows filled in
validate-scalesim: $(STAMP) $(SCALESIM_VENV)/.installed
	ARCHGYM_SCALESIM_PYTHON=$(abspath $(SCALESIM_PYTHON)) $(BIN)/python -m pytest tests/test_systolic_scalesim.py tests/test_systolic_validation.py -q
	ARCHGYM_SCALESIM_PYTHON=$(abspath $(SCALESIM_PYTHON)) $(BIN)/python benchmarks/validate.py

clean:
	rm -rf $(VENV) build *.egg-info
