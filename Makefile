# Task runner: `make lab` and `make test` work on a fresh machine with python3 (3.11).
# Setup (venv + editable install + kernelspec) runs once and again only when the
# packaging files change; the stamp file lives inside .venv, so deleting .venv redoes it.

PYTHON ?= python3
EXTRAS ?= test,lab
BENCH_ARGS ?=
VENV   := .venv
VPY    := $(VENV)/bin/python
STAMP  := $(VENV)/.stamp-setup

.PHONY: setup lab test bench

setup: $(STAMP)

$(STAMP): pyproject.toml setup.py install.json
	test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet -e '.[$(EXTRAS)]'
	$(VPY) -m tierjit.kernel install --sys-prefix
	touch $@

# Jupyter refuses to start as root unless told; containers and fresh VMs often run as root.
lab: setup
	$(VENV)/bin/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

# pytest's status 5 means no test was collected: a broken suite, not a pass.
test: setup
	@$(VPY) -m pytest -q; status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: no tests ran" >&2; exit 1; fi; \
	exit $$status

bench: setup
	$(VPY) -m bench $(BENCH_ARGS)
