"""Set-up and recording scripts, run as modules from the repository root:
``.venv/bin/python -m scripts.build_dist``, ``.venv/bin/python -m scripts.record_corpus``.
``scripts.build_dist`` is imported by the test session and the benchmarks too."""
