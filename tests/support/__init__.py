"""Dev helpers shared by tests, benchmarks and scripts: Pyodide runtimes (pyodide_runtime.py,
runner.mjs), servers (index_server.py, static_server.py), wheels built on the fly (wheels.py,
bad_wheels.py, publish.py), real files from PyPI (pypi_files.py: sha256, pip download) and
lockfiles built from wheel files through micropip2.lockfiles (locks.py).

Import as ``from tests.support.pyodide_runtime import PyodideError``: the repository root is on
sys.path for pytest (``pythonpath`` in pyproject.toml) and for ``python -m benchmarks.<name>`` /
``python -m scripts.<name>`` run from it.
"""
