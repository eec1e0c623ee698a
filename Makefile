# `make demo`: venv + package + classify the example article with the shipped model.
# `make test`: the same venv plus the bench/train/onnx/ray/analysis/dev extras, then pytest.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check

.PHONY: demo test clean

$(VENV)/.base: pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) torch==2.13.0   # CPU build first: an unpinned torch pulls a multi-GB CUDA build
	$(PIP) -e .
	touch $@

$(VENV)/.dev: $(VENV)/.base
	$(PIP) -e ".[bench,train,onnx,ray,analysis,dev]"
	touch $@

demo: $(VENV)/.base
	$(VENV)/bin/secnews classify examples/article.txt

test: $(VENV)/.dev
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) runs .pytest_cache
