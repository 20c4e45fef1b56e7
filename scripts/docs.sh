#!/usr/bin/env bash
# Build the documentation site (Sphinx + MyST, docs/conf.py) into build/docs-html/, warnings
# as errors; run by .ci/run after lint. Needs scripts/setup.sh first. Every page is read again
# (-E), so a warning of an unchanged page is never hidden. Extra arguments go to sphinx-build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
start=$SECONDS
.venv/bin/sphinx-build -W --keep-going -E -q -b html docs build/docs-html "$@"
printf '[docs] built build/docs-html/index.html in %ss\n' "$((SECONDS - start))" >&2
