# Known — two commands: `make run` serves the demo, `make test` runs the whole suite.
# Both set everything up first (virtualenv, Python and npm dependencies, vendor assets,
# database migrations, the demo event), so a fresh clone needs nothing done by hand.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
FLASK := $(BIN)/flask --app app
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
N ?= 2

.PHONY: run test lint setup deps vendor migrate demo system format clean cluster

run: setup demo
	$(PY) app.py

test: setup system
	$(PY) -m pytest $(PYTEST_ARGS)

lint: deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: deps
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

setup: deps vendor migrate

deps: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

# Third-party JavaScript comes from the npm registry, through the lock file, into static/vendor/.
vendor: node_modules/.package-lock.json
	@mkdir -p static/vendor
	cp node_modules/socket.io-client/dist/socket.io.esm.min.js static/vendor/socket.io.esm.min.js
	cp node_modules/jsqr/dist/jsQR.js static/vendor/jsQR.js
	cp node_modules/uplot/dist/uPlot.esm.js static/vendor/uPlot.esm.js
	cp node_modules/uplot/dist/uPlot.min.css static/vendor/uPlot.min.css
	cp node_modules/canvas-confetti/dist/confetti.module.mjs static/vendor/confetti.module.mjs

migrate: deps
	@mkdir -p instance
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) seed-demo

# Debian packages the tests use, installed when missing: chromium for the browser tests (never a
# downloaded browser) and nginx-light for the cluster in front of several app processes.
SYSTEM_PACKAGES := chromium:chromium nginx:nginx-light
system:
	@for pair in $(SYSTEM_PACKAGES); do \
	  cmd=$${pair%%:*}; pkg=$${pair#*:}; \
	  if ! command -v $$cmd >/dev/null 2>&1 && [ ! -x /usr/sbin/$$cmd ]; then \
	    if command -v apt-get >/dev/null 2>&1; then \
	      echo "Installing Debian's $$pkg for the tests"; \
	      $(SUDO) apt-get install -y --no-install-recommends $$pkg >/dev/null 2>&1 || \
	      { $(SUDO) apt-get update >/dev/null && $(SUDO) apt-get install -y --no-install-recommends $$pkg >/dev/null; } || \
	      echo "Could not install $$pkg: its tests will skip (and fail when CI=true)"; \
	    else echo "No apt-get: install $$pkg yourself; its tests will skip (fail when CI=true)"; fi; \
	  fi; \
	done

# N app processes on consecutive ports behind nginx (see README "Running a large event").
# Point KNOWN_DATABASE_URL at PostgreSQL; KNOWN_MESSAGE_QUEUE defaults to the local Redis.
cluster: setup demo system
	KNOWN_MESSAGE_QUEUE=$${KNOWN_MESSAGE_QUEUE:-redis://127.0.0.1:6379/0} $(PY) deploy/cluster.py --processes $(N)

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache .mypy_cache .ruff_cache
