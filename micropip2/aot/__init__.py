"""Ahead-of-time work on a CPython host, behind the ``micropip2`` command line: resolving for a
Pyodide release (:mod:`.pyodide_release`, :mod:`.resolve_for`), checking a lock against a target
(:mod:`.check`), and downloading a lock's files into a folder Pyodide can boot from
(:mod:`.download`).
"""
