# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test check install bench bench-telegram bench-broadcast bench-whatsapp clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) -m bot

test: $(STAMP)
	PTB_TIMEDELTA=1 $(PY) -m pytest -q

check: $(STAMP)
	$(PY) -m bot check

bench: $(STAMP)
	$(PY) bench/bench_matching.py
	$(PY) bench/bench_accuracy.py

bench-telegram: $(STAMP)
	PTB_TIMEDELTA=1 $(PY) bench/bench_telegram.py

bench-whatsapp: $(STAMP)
	$(PY) bench/bench_whatsapp_webhook.py

bench-broadcast: $(STAMP)
	PTB_TIMEDELTA=1 $(PY) bench/bench_broadcast.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
