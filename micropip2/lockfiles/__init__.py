"""Lockfiles in and out: Pyodide's pyodide-lock.json and PEP 751 pylock.toml.

:mod:`.model` is the format-neutral :class:`~.model.Lock`; :mod:`.pyodide_lock_format` and
:mod:`.pylock_format` read and write the two formats; :mod:`.load` takes a lock given as a URL,
path, text or dict; :mod:`.fit` checks a lock against a :class:`~micropip2.target.Target` and picks
each package's file; :mod:`.freeze` describes the installed environment as a lock; :mod:`.sync`
makes the environment hold exactly a lock's packages.
"""
