# The README's commands. `make demo` runs the product; `make test` runs the whole test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: demo test check lint lock install messages bench clean backup restore

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The hash-pinned locks, compiled from pyproject.toml by `make lock`: requirements.lock (the
# product: the Dockerfile) and requirements-dev.lock (the product and its tests: CI, `make test`).
install: $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .

# After changing pyproject.toml's dependencies: one command rewrites both locks (newest versions
# that fit; UPGRADE=--upgrade-package=NAME or --upgrade to move what is already pinned).
LOCK_ARGS := --python-version 3.11 --generate-hashes --no-header --annotation-style line --quiet
lock: $(BIN)/python
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml $(LOCK_ARGS) $(UPGRADE) -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev $(LOCK_ARGS) $(UPGRADE) -o requirements-dev.lock

demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo "Serving on http://127.0.0.1:$(PORT)/"
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# The checks before the tests (.pre-commit-config.yaml runs the same before a commit): lint,
# formatting, and no model change without its migration.
check: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@# An empty in-memory database: models against migration files only, whatever DATABASE_URL says.
	DATABASE_URL=sqlite:///:memory: $(BIN)/python manage.py makemigrations --check --dry-run

test: check
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: check

# The county-scale benchmark on PostgreSQL (BENCH_DATABASE_URL, default the local server's
# county_edu_bench): builds the data set once, writes docs/benchmarks.md and bench/results.json.
# BENCH_ARGS=--growth also measures the ledger page and the monthly report at 1×, 3× and 10× the
# county (BENCH_GROWTH_DATABASE_URL, default county_edu_growth; --growth-only for that alone).
bench: install
	$(BIN)/python bench/run.py --scale $(or $(SCALE),county) $(BENCH_ARGS)

messages: install
	$(BIN)/python manage.py makemessages -l zh_Hans --ignore=.venv --ignore=staticfiles
	$(BIN)/python manage.py compilemessages -l zh_Hans --ignore=.venv

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles test-artifacts

# Backups of the PostgreSQL database named by DATABASE_URL (pg_dump's custom format: compressed,
# restorable table by table). `make backup` writes backups/county_edu-YYYYmmdd-HHMMSS.dump;
# `make restore FILE=backups/….dump` loads one into DATABASE_URL's database (normally a new, empty
# one: see README "Deployment"). Both need the PostgreSQL client tools of the server's version.
BACKUP_DIR ?= backups

backup:
	@test -n "$(DATABASE_URL)" || { echo "DATABASE_URL is not set (postgres://user:password@host:5432/name)"; exit 2; }
	@mkdir -p "$(BACKUP_DIR)"
	@file="$(BACKUP_DIR)/county_edu-$$(date +%Y%m%d-%H%M%S).dump"; \
	  pg_dump --format=custom --no-owner --no-privileges --dbname="$(DATABASE_URL)" --file="$$file" \
	  && echo "$$file"

restore:
	@test -n "$(DATABASE_URL)" || { echo "DATABASE_URL is not set (postgres://user:password@host:5432/name)"; exit 2; }
	@test -f "$(FILE)" || { echo "usage: make restore FILE=backups/county_edu-….dump"; exit 2; }
	pg_restore --clean --if-exists --no-owner --no-privileges --exit-on-error --single-transaction \
	  --dbname="$(DATABASE_URL)" "$(FILE)"
