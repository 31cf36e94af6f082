# campus-dw: the usual targets.  `make demo` and `make test` are the README's two commands;
# both bootstrap the installer (uv) and the pinned environment on a fresh machine.
PY      ?= python3
UV       = $(PY) -m uv
UV_PIN   = 0.13.9
PYTEST_ARGS ?=

.PHONY: help bootstrap install demo test test-fast lint fmt sqlfluff services browser bench docs clean

help:
	@echo "make demo       generate the demo college, run the whole pipeline, publish, serve the dashboards"
	@echo "make test       run the whole test suite (starts PostgreSQL/MariaDB if they are down)"
	@echo "make lint       ruff + sqlfluff"
	@echo "make bench      benchmarks under bench/ (print figures)"

bootstrap:
	@$(UV) --version >/dev/null 2>&1 || $(PY) -m pip install --quiet --disable-pip-version-check "uv==$(UV_PIN)"

# --compile-bytecode: write the .pyc files at install time.  Where PYTHONDONTWRITEBYTECODE is set
# (as on this machine kind) Python never caches them itself and every process recompiled
# Great Expectations, Dagster and dbt from source: ~4 s per process start, measured.
install: bootstrap
	@$(UV) sync --frozen --quiet --compile-bytecode

demo: install
	$(UV) run campus-dw demo

services:
	@bash .ci/services.sh

# both the browser and the CJK fonts (without them Chinese renders as boxes in screenshots)
browser:
	@(command -v chromium >/dev/null 2>&1 && dpkg -s fonts-noto-cjk >/dev/null 2>&1) || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null)

# -n auto: one pytest worker per core (pytest-xdist); --dist loadfile keeps each test file on one
# worker, so a file's fixtures (a pipeline run, a served dashboard) are built once.  PYTEST_ARGS="-n 0"
# runs serially.
test: install services
	$(UV) run pytest -n auto --dist loadfile $(PYTEST_ARGS)

test-fast: install
	$(UV) run pytest -m "not postgres and not mysql and not browser and not slow" $(PYTEST_ARGS)

lint: install
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run sqlfluff lint dbt_project/models

fmt: install
	$(UV) run ruff check --fix .
	$(UV) run ruff format .

bench: install services
	$(UV) run python bench/run_all.py

docs: install
	$(UV) run campus-dw docs

clean:
	rm -rf .campus-dw dbt_project/target dbt_project/logs .pytest_cache
