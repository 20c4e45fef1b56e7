"""Reading the RFC 822-style header files of a distribution (METADATA, WHEEL; core metadata spec).

``email.parser`` is exact but slow inside Pyodide, and installers read these files for every
candidate and wheel. The format needs little: ``Key: value`` lines, continuation lines that start
with whitespace, and a blank line before the body (the long description), which is skipped.
"""

from __future__ import annotations


class Headers:
    """Header fields by case-insensitive name, in file order."""

    def __init__(self, fields: list[tuple[str, str]]) -> None:
        self._fields = fields

    def get(self, name: str, default: str | None = None) -> str | None:
        wanted = name.lower()
        for key, value in self._fields:
            if key == wanted:
                return value
        return default

    def get_all(self, name: str) -> list[str]:
        wanted = name.lower()
        return [value for key, value in self._fields if key == wanted]


def parse_headers(text: str) -> Headers:
    fields: list[tuple[str, str]] = []
    for line in text.splitlines():
        if not line:
            break  # the empty line before the body
        if line[0] in " \t":  # a continuation, blank ones too (a folded License text has them)
            if fields:
                key, value = fields[-1]
                fields[-1] = (key, f"{value}\n{line.strip()}")
            continue
        key, sep, value = line.partition(":")
        if sep:
            fields.append((key.strip().lower(), value.strip()))
    return Headers(fields)
