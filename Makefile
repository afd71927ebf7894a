# The two set-up commands are `make run` and `make test`; everything else is listed by `make help`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv from PATH, or installed once into .tools/ with the Python that runs make.
UV_LOCAL := .tools/uv/bin/uv
UV ?= $(shell command -v uv 2>/dev/null || echo $(UV_LOCAL))
PYTHON ?= python3
RUN := $(UV) run

.PHONY: help install run test test-fast test-renamed lint hooks format pave-db psql migrations migrate add-table rename clean \
	record loadtest loadtest-ui bench dev test-daemon profile-server profile-click profile-tests image cluster lint-js test-js build-js \
	i18n-extract i18n-compile i18n-add

help: ## List the commands
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

$(UV_LOCAL):
	@echo "uv is not on PATH: installing it into .tools/uv"
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --target .tools/uv uv

install: $(if $(filter $(UV_LOCAL),$(UV)),$(UV_LOCAL)) ## Install the locked dependencies into .venv
	$(UV) sync

run: install ## Serve the app on http://127.0.0.1:8000 (embedded PostgreSQL unless a URL is set)
	$(RUN) python -m heavy_stack

# Two pytest processes (pytest-xdist), each test file whole in one of them so that its fixtures
# start once: most tests wait on servers, browsers and subprocesses, so two share 2 cores well.
test: install ## Run the whole test suite, with a coverage report of heavy_stack/
	$(RUN) pytest --numprocesses 2 --dist loadfile --cov --cov-report=term

test-fast: install ## Run the tests without the browser ones
	$(RUN) pytest -m "not browser"

test-renamed: install ## Rename a copy of the project and run its whole fast suite there (minutes)
	$(RUN) pytest -m renamed_copy tests/tooling/test_rename.py

dev: install ## Serve with hot reload: saved code applies at once and open pages re-render (one process)
	$(RUN) python -m heavy_stack --hot-reload

test-daemon: install ## Start the warm pytest daemon that runs tests on request (README, "Developing")
	@# uv exits 130 after a Ctrl+C even when the daemon stopped cleanly: not an error for make.
	$(RUN) python -m heavy_stack_dev.pytest_daemon || [ $$? -eq 130 ]

profile-server: install ## Serve under py-spy; Ctrl+C writes the flame graph test-artifacts/profile-server.svg
	@mkdir -p test-artifacts
	$(RUN) py-spy record --output test-artifacts/profile-server.svg -- python -m heavy_stack

profile-click: install ## Where a click's server CPU goes (BUTTON=read-user): sampled on CPU time, test-artifacts/profile-click.txt
	@mkdir -p test-artifacts
	$(RUN) python -m bench.cpu_profile --button $(or $(BUTTON),read-user) --output test-artifacts/profile-click.txt

profile-tests: install ## Run the tests (TESTS="tests/backend", default all) under py-spy: test-artifacts/profile-tests.svg
	@mkdir -p test-artifacts
	$(RUN) py-spy record --output test-artifacts/profile-tests.svg -- python -m pytest $(TESTS)

image: ## Build the production Docker image heavy-stack:latest (dockerfiles/heavy_stack.Dockerfile)
	@command -v docker >/dev/null || { echo "make image: docker is not installed (not on PATH): install Docker to build the image." >&2; exit 1; }
	@docker info >/dev/null 2>&1 || { echo "make image: no Docker engine answers (docker info failed): start Docker, then run make image again." >&2; exit 1; }
	docker build --file dockerfiles/heavy_stack.Dockerfile --tag heavy-stack:latest .

lint: install ## The checks of .pre-commit-config.yaml on every file: ruff, ruff format --check, mypy, layer rules, uv lock --check
	PATH="$(dir $(abspath $(UV))):$$PATH" $(RUN) pre-commit run --all-files --show-diff-on-failure

# heavy's browser client (heavy/client/): Node 20 and npm, for these three targets only. npm ci
# installs what package-lock.json pins, again whenever the lock file changes.
CLIENT := heavy/client
CLIENT_MODULES := $(CLIENT)/node_modules/.package-lock.json

$(CLIENT_MODULES): $(CLIENT)/package-lock.json
	cd $(CLIENT) && npm ci --no-audit --no-fund

lint-js: $(CLIENT_MODULES) ## Lint and type-check heavy's browser client (eslint, tsc --checkJs); its built files match its sources
	cd $(CLIENT) && npm run --silent lint && npm run --silent check-build

test-js: $(CLIENT_MODULES) ## Test heavy's browser client (node --test, with jsdom and a fake socket)
	cd $(CLIENT) && npm test --silent

build-js: $(CLIENT_MODULES) ## Build heavy's browser client into heavy/src/heavy/static/ (commit what it writes)
	cd $(CLIENT) && npm run --silent build

.PHONY: screenshots
screenshots: install ## Screenshots of every page (light, dark; phone, desktop) into docs/screenshots/
	$(RUN) python dev_scripts/screenshots.py

hooks: install ## Let git run the same checks before each commit (pre-commit install)
	$(RUN) pre-commit install

format: install ## Format and autofix with ruff
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

pave-db: install ## Drop and recreate all tables (local databases only, not while a server uses them; asks first, YES=1 does not)
	$(RUN) python dev_scripts/pave_db.py $(if $(YES),--yes)

psql: install ## psql on the app's SQL database (embedded, or HEAVY_STACK_SQL_DB_URL); piped: echo 'select 1' | make psql
	@$(RUN) python dev_scripts/psql.py

migrations: install ## Autogenerate, apply and test a migration on a scratch database (MESSAGE="add invoices", AUTO_NAME=1, or asks)
	$(RUN) python dev_scripts/create_and_test_migrations.py $(if $(MESSAGE),--message "$(MESSAGE)") $(if $(AUTO_NAME),--auto-name)

migrate: install ## Apply the migrations to the configured database (alembic upgrade head)
	$(RUN) alembic upgrade head

add-table: install ## Add a table: its model, manager, shared model and a test (asks, or TABLE=invoices [MODEL=SQLInvoice PK=InvoiceId])
	$(RUN) python dev_scripts/add_table.py $(if $(TABLE),--table $(TABLE) --yes) $(if $(MODEL),--model $(MODEL)) $(if $(PK),--pk $(PK))

rename: ## Rename the project (asks for the new name); once, right after cloning
	$(PYTHON) rename_project.py

# Translations (docs/i18n.md). Only the .po files are committed: the app compiles them in memory
# at start-up, so a fresh clone runs without a compile step and never runs a stale .mo.
LOCALES := heavy_stack/locales
HEAVY_LOCALES := heavy/src/heavy/locales
I18N_BUILD := test-artifacts/i18n
# The names messages are written with (heavy.i18n.KEYWORDS): not "_", which html._ (ReactPy's
# fragment) would take for a message.
PYBABEL_EXTRACT := $(RUN) pybabel --quiet extract --no-default-keywords --keywords t --keywords gettext \
	--keywords ngettext:1,2 --keywords N_ --add-comments Translators: \
	--add-location file --sort-output --no-wrap --project "The Heavy Stack"
PYBABEL_UPDATE := $(RUN) pybabel --quiet update --no-wrap --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date

$(I18N_BUILD)/messages.pot: install
	@mkdir -p $(I18N_BUILD)
	$(PYBABEL_EXTRACT) --mapping-file babel.cfg --output-file $@ heavy_stack
	$(PYBABEL_EXTRACT) --mapping-file heavy/babel.cfg --output-file $(I18N_BUILD)/heavy.pot heavy/src/heavy

i18n-extract: $(I18N_BUILD)/messages.pot ## Collect the code's messages into every language's .po (new ones untranslated, gone ones dropped)
	$(PYBABEL_UPDATE) --input-file $(I18N_BUILD)/messages.pot --output-dir $(LOCALES)
	$(PYBABEL_UPDATE) --domain heavy --input-file $(I18N_BUILD)/heavy.pot --output-dir $(HEAVY_LOCALES)
	@rm -f $(I18N_BUILD)/messages.pot

i18n-compile: install ## Compile every catalogue as the app does at start-up, with how much of each is translated
	@mkdir -p $(I18N_BUILD)
	@for po in $(LOCALES)/*/LC_MESSAGES/messages.po $(HEAVY_LOCALES)/*/LC_MESSAGES/heavy.po; do \
		code=$$(basename "$$(dirname "$$(dirname "$$po")")"); \
		echo "$$po:"; \
		$(RUN) pybabel compile --statistics --locale "$$code" --input-file "$$po" \
			--output-file "$(I18N_BUILD)/$$code-$$(basename "$$po" .po).mo" || exit 1; \
	done

i18n-add: $(I18N_BUILD)/messages.pot ## Start a language: CODE=fr writes heavy_stack/locales/fr/LC_MESSAGES/messages.po to translate
	@test -n "$(CODE)" || { echo "make i18n-add: name the language, e.g. make i18n-add CODE=fr" >&2; exit 1; }
	$(RUN) pybabel --quiet init --no-wrap --input-file $(I18N_BUILD)/messages.pot --output-dir $(LOCALES) --locale $(CODE)
	@rm -f $(I18N_BUILD)/messages.pot

# Load testing: record a session, replay it with Locust against a server you started.
RECORDING ?= tests/load_testing/data_recording_demo.json
HOST ?= http://127.0.0.1:8000
USERS ?= 50
SPAWN_RATE ?= 10
DURATION ?= 1m
# More options of the replay, e.g. REPLAY_OPTIONS="--visit 3f2a9c01d4e7 --accounts accounts.txt"
REPLAY_OPTIONS ?=
# Locust processes (its --processes): one makes about 1,000 answered events a second at most.
PROCESSES ?= 1
LOCUST := $(RUN) locust -f tests/load_testing/data_recorder_locust.py --host $(HOST) --recording $(RECORDING) \
	$(if $(filter-out 1,$(PROCESSES)),--processes $(PROCESSES)) $(REPLAY_OPTIONS)

record: install ## Serve like `make run`, recording every websocket message to recordings/ (RECORDING_PATH=...)
	HEAVY_STACK_RECORDING_PATH=$${RECORDING_PATH:-recordings/session-$$(date +%Y%m%d-%H%M%S).json} \
		$(RUN) python -m heavy_stack

loadtest: install ## Replay RECORDING's busiest visit headless against HOST (USERS, SPAWN_RATE, DURATION, PROCESSES, REPLAY_OPTIONS); prints what the server confirmed per step and whose CPU was the limit
	$(LOCUST) --headless --users $(USERS) --spawn-rate $(SPAWN_RATE) --run-time $(DURATION)

loadtest-ui: install ## Locust's web UI on http://127.0.0.1:8089 for the same replay
	$(LOCUST) --web-host 127.0.0.1 --web-port 8089

# Scale-out on one machine: INSTANCES app processes behind nginx, one PostgreSQL, one Redis.
INSTANCES ?= 2
CLUSTER_PORT ?= 8080
CLUSTER_ARGS ?=
REPLICAS ?= 0

cluster: install ## INSTANCES (2) app processes behind nginx on 127.0.0.1:CLUSTER_PORT (8080), sharing Redis and PostgreSQL (through PgBouncer; CLUSTER_ARGS=--no-pgbouncer: directly); REPLICAS (0) read replicas
	$(RUN) python -m heavy_stack_testing.cluster --instances $(INSTANCES) --port $(CLUSTER_PORT) --replicas $(REPLICAS) $(CLUSTER_ARGS)

bench: install ## Measure echo, stock ReactPy, heavy click, replays, RSS per session, capacity at 1 and 2 workers, cost as the work grows, the targets; writes docs/benchmarks.md (python -m bench --costs: that section only)
	$(RUN) python -m bench

clean: ## Remove caches (keeps .venv and the embedded database's data)
	rm -rf .pytest_cache .mypy_cache .ruff_cache test-artifacts
	find . -name __pycache__ -type d -prune -not -path './.venv/*' -exec rm -rf {} +
