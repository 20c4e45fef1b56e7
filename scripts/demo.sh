#!/usr/bin/env bash
# Set up (idempotent) and run the main job: Pyodide 314.0.7 on Node installs real wheels
# from PyPI with micropip2 and uses them. Needs network access to PyPI.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
MICROPIP2_NO_BROWSER="${MICROPIP2_NO_BROWSER:-1}" bash scripts/setup.sh
.venv/bin/python -m scripts.build_dist --micropip2-only >/dev/null
exec node demo/main.mjs "$@"
