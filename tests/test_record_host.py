"""RECORD reading and writing (micropip2/record.py) against ``csv`` itself, on any text."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from micropip2.record import RecordError, read_rows, write_rows

FIELD = st.text(alphabet=st.sampled_from(list('ab/.=_-, "\r\n\0é')), max_size=12)
ROWS = st.lists(st.lists(FIELD, min_size=1, max_size=4), max_size=6)


def _csv_rows(text: str) -> list[list[str]] | str:
    try:
        return list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        return f"csv.Error: {exc}"


def _ours(text: str) -> list[list[str]] | str:
    try:
        return read_rows(text)
    except RecordError as exc:
        return f"csv.Error: {exc}"


@settings(max_examples=400, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list('ab,/"\r\n\0 ')), max_size=40))
def test_reading_any_text_gives_what_csv_gives(text):
    assert _ours(text) == _csv_rows(text)


@settings(max_examples=400, deadline=None)
@given(rows=ROWS)
def test_writing_gives_what_csv_writes_and_reads_back(rows):
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    assert write_rows(rows) == out.getvalue()
    assert read_rows(write_rows(rows)) == _csv_rows(out.getvalue())


def test_a_real_record_is_read_without_csv():
    text = "pkg/__init__.py,sha256=abc,12\npkg-1.0.dist-info/RECORD,,\n"
    assert read_rows(text) == [
        ["pkg/__init__.py", "sha256=abc", "12"],
        ["pkg-1.0.dist-info/RECORD", "", ""],
    ]
    assert write_rows(read_rows(text)) == text
