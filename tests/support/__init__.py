"""Test support code: Pyodide runtimes (pyodide_runtime.py, runner.mjs) and servers.

Import as ``from tests.support.pyodide_runtime import PyodideError`` (the repository root
is on sys.path through the top-level conftest.py).
"""
