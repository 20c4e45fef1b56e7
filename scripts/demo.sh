#!/usr/bin/env bash
# Set up (idempotent) and run the main job: Pyodide 314.0.7 on Node installs real wheels
# from PyPI with micropip2 and uses them. Needs network access to PyPI.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
MICROPIP2_SETUP=demo bash scripts/setup.sh
exec node demo/main.mjs "$@"
