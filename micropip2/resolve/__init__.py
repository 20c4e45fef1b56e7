"""Resolution: choosing one compatible version of every needed project (resolvelib + a provider for
Pyodide)."""
