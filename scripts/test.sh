#!/usr/bin/env bash
# Set up (idempotent) and run micropip2's whole test suite; extra arguments go to pytest.
#   scripts/test.sh                       # everything
#   scripts/test.sh tests/test_harness.py -k smoke
#   MICROPIP2_TEST_RUNTIMES=node-314.0.7 scripts/test.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
# --timeout is a hang guard for a whole test, not a timing assertion
exec .venv/bin/python -m pytest --timeout=900 --durations=30 "$@"
