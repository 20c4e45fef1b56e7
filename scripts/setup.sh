#!/usr/bin/env bash
# Prepare a machine for micropip2's tests; idempotent and quick when already done.
# MICROPIP2_SETUP=demo (scripts/demo.sh) prepares only what the main job needs: no Chromium,
# requirements-demo.txt, Pyodide 314.0.7's dist without the tests' wheels, no corpus.
#
#   1. Debian's Chromium (/usr/bin/chromium) for the browser runtime, unless present or
#      MICROPIP2_NO_BROWSER=1
#   2. npm ci (pinned Pyodide runtimes and playwright-core; never downloads a browser)
#   3. .venv from a Python >= 3.13 (pyenv's 3.13.0; Sphinx 9.2 for the docs needs 3.13) with
#      requirements-dev.txt
#   4. scripts/build_dist.py: build/dist/<version>/ and build/wheels/
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"

say() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

hash_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

# --- 1. Chromium -------------------------------------------------------------------------
DEMO=0
[[ "${MICROPIP2_SETUP:-}" == "demo" ]] && DEMO=1

if [[ "$DEMO" == 1 ]]; then
    :  # the main job runs on Node
elif [[ "${MICROPIP2_NO_BROWSER:-}" == "1" ]]; then
    say "MICROPIP2_NO_BROWSER=1: not checking for Chromium"
elif [[ -x /usr/bin/chromium ]]; then
    :
else
    say "installing Debian's chromium"
    SUDO=()
    if [[ "$(id -u)" != 0 ]]; then
        command -v sudo >/dev/null || die "/usr/bin/chromium is missing and we are not root (set MICROPIP2_NO_BROWSER=1 to skip browser tests)"
        SUDO=(sudo)
    fi
    "${SUDO[@]}" apt-get update -q
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -q --no-install-recommends chromium
    [[ -x /usr/bin/chromium ]] || die "apt-get installed chromium but /usr/bin/chromium is missing"
fi

# --- 2. npm ------------------------------------------------------------------------------
command -v node >/dev/null || die "node is not on PATH"
command -v npm >/dev/null || die "npm is not on PATH"
npm_stamp="node_modules/.micropip2-npm-stamp"
npm_hash="$(hash_of package.json package-lock.json)"
if [[ -f "$npm_stamp" && "$(cat "$npm_stamp")" == "$npm_hash" ]]; then
    :
else
    say "npm ci"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
    printf '%s' "$npm_hash" > "$npm_stamp"
fi

# --- 3. Python venv ----------------------------------------------------------------------
py_ok() {  # is "$1" a CPython >= 3.13?
    [[ -n "$1" ]] && "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 13) else 1)' 2>/dev/null
}

find_python() {
    local c
    for v in 3.13.0 3.13; do
        c="$(PYENV_VERSION=$v python3 -c 'import sys; print(sys.executable)' 2>/dev/null || true)"
        if py_ok "$c"; then echo "$c"; return; fi
    done
    for c in "$HOME"/.pyenv/versions/3.13*/bin/python3 \
             "$(command -v python3.13 || true)" \
             "$(command -v python3 || true)"; do
        if [[ -x "$c" ]] && py_ok "$c"; then echo "$c"; return; fi
    done
}

if [[ -x .venv/bin/python ]] && py_ok .venv/bin/python; then
    :
else
    base="$(find_python)"
    [[ -n "$base" ]] || die "no Python >= 3.13 found (tried pyenv 3.13, python3.13, python3); pyodide-lock needs >= 3.12 and the docs build (Sphinx 9.2) >= 3.13"
    say "creating .venv with $base ($("$base" --version))"
    rm -rf .venv
    "$base" -m venv .venv
fi

# requirements-dev.txt includes requirements-demo.txt: a venv set up for the tests serves the demo
dev_stamp=".venv/.micropip2-requirements-stamp"
dev_hash="$(hash_of requirements-dev.txt requirements-demo.txt)"
demo_stamp=".venv/.micropip2-demo-requirements-stamp"
demo_hash="$(hash_of requirements-demo.txt)"
if [[ -f "$dev_stamp" && "$(cat "$dev_stamp")" == "$dev_hash" ]]; then
    :
elif [[ "$DEMO" == 1 ]]; then
    if [[ ! -f "$demo_stamp" || "$(cat "$demo_stamp")" != "$demo_hash" ]]; then
        say "pip install -r requirements-demo.txt"
        .venv/bin/python -m pip install --disable-pip-version-check -q -r requirements-demo.txt
        printf '%s' "$demo_hash" > "$demo_stamp"
    fi
else
    say "pip install -r requirements-dev.txt"
    .venv/bin/python -m pip install --disable-pip-version-check -q -r requirements-dev.txt
    printf '%s' "$dev_hash" > "$dev_stamp"
fi

# --- 4. Pyodide distributions ------------------------------------------------------------
if [[ "$DEMO" == 1 ]]; then
    .venv/bin/python -m scripts.build_dist --version 314.0.7 --no-extra-wheels
    exit 0
fi
.venv/bin/python -m scripts.build_dist

# --- 5. Real PyPI wheels recorded for the resolver tests and benchmarks ----------------------
.venv/bin/python -m scripts.record_corpus --fetch --set rich --set aioboto3 --set lock15
