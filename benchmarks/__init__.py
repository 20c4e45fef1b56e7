"""micropip2's benchmarks, run as modules from the repository root (see benchmarks/README.md):
``.venv/bin/python -m benchmarks.resolve_install``. ``benchmarks.corpus`` (the recorded corpus
and its replay server) is imported by tests and scripts too."""
