# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint demo bench system-deps venv clean

# Debian packages the suite needs: PostgreSQL and MariaDB server binaries (the tests start
# their own throw-away servers on free loopback ports). Installed only when missing; where they
# cannot be installed the live-database tests report themselves skipped with the reason.
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o Dpkg::Options::=--force-confold
system-deps:
	@missing=""; \
	command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v mariadbd >/dev/null 2>&1 || test -x /usr/sbin/mariadbd || missing="$$missing mariadb-server"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && $(APT_INSTALL)$$missing >/dev/null || echo "warning: could not install$$missing"; \
	  else \
	    echo "warning: missing$$missing (install them with apt-get as root); their tests will be skipped"; \
	  fi; \
	fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Re-install when pyproject.toml changes (or the venv is new).
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --disable-pip-version-check -e ".[dev,bench]"
	@touch $(STAMP)

venv: $(STAMP)

# Three workers on the machines' 2 cores: a test spends part of its time waiting (on a server, a
# subprocess, a runner's sleep between cycles), and the whole suite ran 511 s with three workers
# against 618 s with two (same commit, one after the other; 332 s with three since each dbt
# invocation stopped walking the stack, project/invoke.py). A test file per worker at a time:
# module fixtures (built dbt projects, started servers) are made once per worker. The longest files are handed out
# first, longest first by their time in a run of the whole suite, so that no worker ends alone on
# one of them (pytest collects each file once);
# --no-loadscope-reorder keeps this order (pytest-xdist otherwise hands out the files with the
# most tests first, which put the slow files of one or two tests last).
SLOW_TESTS := tests/test_capture_e2e.py tests/test_modes.py tests/test_capture_e2e_debezium.py tests/test_runner.py \
	tests/test_cycle.py tests/test_format_property.py tests/test_aws.py tests/test_model_modes.py tests/test_mirror.py \
	tests/test_mirror_property.py tests/test_chaos.py tests/test_redshift_sql.py tests/test_debezium_apply.py \
	tests/test_roundtrip.py tests/test_capture_parts.py tests/test_value_edges.py tests/test_wide_projects.py \
	tests/test_misfit.py tests/test_integration_project.py tests/test_relay.py tests/test_demo.py tests/test_kafka_relay.py \
	tests/test_streaming_mv.py tests/test_partitions.py tests/test_cli.py tests/test_flat_apply.py tests/test_ddl_files.py \
	tests/test_misfit_e2e.py
test: system-deps venv lint
	$(BIN)/python -m pytest -q -p no:cacheprovider -n 3 --dist loadfile --no-loadscope-reorder $(SLOW_TESTS) tests

# ruff (rules and line length in pyproject.toml) and mypy on the library ([tool.mypy]); make test runs them first.
lint: venv
	$(BIN)/ruff check streamleap bench tests
	$(BIN)/mypy

demo: venv
	$(BIN)/streamleap demo

# Measurements, not tests: writes bench/results.md and bench/*.png (takes several minutes).
bench: system-deps venv
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build *.egg-info
