# `make run` serves the blog; `make test` runs the suite. Both set up what they need first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 8000
PO_FILES := $(shell find blog -name '*.po')
MO_FILES := $(PO_FILES:.po=.mo)
# axe-core for the accessibility tests, from the npm registry; without npm those tests skip, saying so.
NPM := $(shell command -v npm)
AXE_VERSION := 4.14.1
AXE := tests/browser/node_modules/.axe-core-$(AXE_VERSION)

.PHONY: run test lint bench translations extract-messages migration clean

run: $(VENV)/.run-installed translations
	$(FLASK) db upgrade
	$(FLASK) blog seed
	@echo "Serving http://$(HOST):$(PORT)/ -- to moderate, create an admin (in another terminal):"
	@echo "  $(FLASK) blog create-admin NAME    and sign in at http://$(HOST):$(PORT)/admin/login"
	HOST=$(HOST) PORT=$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

# The tests that start servers of their own and load them (gunicorn, nginx, Chromium, network namespaces)
# run one at a time after the rest, which share TEST_WORKERS processes (pytest-xdist). PYTEST_ARGS go to
# both runs; a run that PYTEST_ARGS leave without tests (pytest's exit status 5) is no failure.
TEST_WORKERS ?= 2
ALONE := browser or multihost or processes
test: $(VENV)/.dev-installed translations $(if $(NPM),$(AXE))
	$(BIN)/pytest -n $(TEST_WORKERS) -m "not ($(ALONE))" $(PYTEST_ARGS) || [ $$? = 5 ]
	$(BIN)/pytest -m "$(ALONE)" $(PYTEST_ARGS) || [ $$? = 5 ]

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check blog tests examples migrations/env.py

# The benchmark of issues 6 and 14: one table of requests/s, p50 and p99 (and JSON in bench/results/latest.json),
# with the post page through nginx and Isso's comment POSTs (from bench/.isso-venv, made on first use) to compare.
# `make bench COMMENTS=100000` for a bigger thread, QUICK=1 for 5 s rows without the 100k server,
# LOADGEN=python to drive it without wrk, WEB_CONCURRENCY=n for other than 4 workers. HOSTS=3 for the same rows
# through nginx over three gunicorn hosts on PostgreSQL and Redis (BENCH_POSTGRES_URL, BENCH_REDIS_URL: a scratch
# database and key prefix there, removed afterwards), the workers split over them; JSON in latest-hosts3.json.
COMMENTS ?= 200
HOSTS ?= 1
bench: $(VENV)/.dev-installed translations
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y wrk; } \
		|| echo "wrk is not installed: the Python load generator drives the benchmark"
	@command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] \
		|| { [ "$$(id -u)" = 0 ] && apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y nginx-light; } \
		|| echo "nginx is not installed: the post page through nginx is not measured"
	$(BIN)/python bench/run.py --comments $(COMMENTS) $(if $(filter-out 0,$(QUICK)),--quick) $(if $(LOADGEN),--loadgen $(LOADGEN)) \
		$(if $(filter-out 1,$(HOSTS)),--hosts $(HOSTS))

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.run-installed: requirements.txt | $(VENV)/bin/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.run-installed

$(AXE):
	$(NPM) install --prefix tests/browser --no-save --no-package-lock --no-audit --no-fund axe-core@$(AXE_VERSION)
	touch $@

translations: $(MO_FILES)

%.mo: %.po | $(VENV)/.run-installed
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@

# After changing user-visible strings: refresh the catalogs, then translate what is new.
extract-messages: $(VENV)/.run-installed
	$(BIN)/pybabel extract -F babel.cfg -k _l --no-location -o blog/translations/messages.pot .
	$(BIN)/pybabel update -i blog/translations/messages.pot -d blog/translations --no-fuzzy-matching
	$(BIN)/pybabel extract -F blog/comments/babel.cfg -k _l -k _c -k _cn:1,2 --no-location \
		-o blog/comments/translations/comments.pot .
	$(BIN)/pybabel update -D comments -i blog/comments/translations/comments.pot -d blog/comments/translations \
		--no-fuzzy-matching

# make migration m="add comment status index"
migration: $(VENV)/.run-installed
	$(FLASK) db migrate -m "$(m)"

clean:
	rm -rf $(VENV) .pytest_cache tests/browser/node_modules
	find . -name '*.mo' -delete
