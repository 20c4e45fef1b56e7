"""RECORD files (the wheel spec's CSV: path, hash, size), read and written as ``csv`` does.

``csv`` costs ~10 ms to import inside Pyodide (compiled from source at every start), and nearly
every RECORD has no field that needs quoting: those lines are split and joined here; a RECORD
with quotes (or a field that would need them) goes through ``csv``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


class RecordError(ValueError):
    """A RECORD that ``csv`` cannot read (its message is csv's)."""


_NEEDS_CSV = ('"', "\0", "\r")  # quoting, NUL or CR: left to csv's own rules
_NEEDS_QUOTES = (",", '"', "\r", "\n", "\0")


def read_rows(text: str) -> list[list[str]]:
    """The rows of ``text`` as ``csv.reader`` gives them (an empty line is an empty row);
    raises :class:`RecordError` where it raises ``csv.Error``."""
    if any(mark in text for mark in _NEEDS_CSV):
        import csv
        import io

        try:
            return list(csv.reader(io.StringIO(text)))
        except csv.Error as exc:
            raise RecordError(str(exc)) from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last row
    return [line.split(",") if line else [] for line in lines]


def write_rows(rows: Iterable[Sequence[str]]) -> str:
    """``rows`` as ``csv.writer(out, lineterminator="\\n")`` writes them."""
    rows = [list(row) for row in rows]
    if any(mark in field for row in rows for field in row for mark in _NEEDS_QUOTES) or any(
        row == [""] for row in rows
    ):
        import csv
        import io

        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        return out.getvalue()
    return "".join(",".join(row) + "\n" for row in rows)
