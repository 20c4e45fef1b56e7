"""What the benchmarks count in a replay server's request log.

``requests``
    Every request the server answered except CORS preflights (``OPTIONS``).

``round trips`` (sequential round trips)
    The length of the longest chain of requests r1, r2, ..., rk in which each one started
    after the previous one had been answered: ``r[i+1].start >= r[i].end``, where ``start``
    is when the server read the request line and ``end`` is when it began writing the
    response (after any injected latency). Requests that overlap in time are in the same
    "wave"; a chain of k requests means the client waited for k answers one after another,
    so with a server latency L the install took at least k x L. It counts what the client
    did, whatever the reason it waited: a page it needed before it knew what to ask next,
    or a cap on parallel connections.

``bytes``
    The response bodies' sizes, added up.

Both use :class:`tests.support.index_server.RequestRecord` (``method``, ``time``, ``end``,
``bytes_sent``); anything with those attributes works.

>>> from types import SimpleNamespace as R
>>> log = [R(method="GET", time=0.0, end=1.0, bytes_sent=5),    # a page
...        R(method="GET", time=1.1, end=2.0, bytes_sent=5),    # two files after it, at once
...        R(method="GET", time=1.1, end=2.5, bytes_sent=5),
...        R(method="GET", time=2.6, end=3.0, bytes_sent=5),    # one more after those
...        R(method="OPTIONS", time=3.1, end=3.2, bytes_sent=0)]
>>> request_count(log), round_trips(log), bytes_sent(log)
(4, 3, 20)
>>> round_trips([])
0
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable
from typing import Any


def _counted(records: Iterable[Any]) -> list[Any]:
    return [r for r in records if r.method != "OPTIONS"]


def ratios(new: Any, old: Any) -> str:
    """``new`` against ``old`` (results with ``wall_s``, ``requests``, ``round_trips``,
    ``bytes``)."""
    return (
        f"wall x{new.wall_s / old.wall_s:.2f}"
        f"  requests x{new.requests / max(old.requests, 1):.2f}"
        f"  round trips x{new.round_trips / max(old.round_trips, 1):.2f}"
        f"  MB x{new.bytes / max(old.bytes, 1):.2f}"
    )


def geometric_mean(values: list[float]) -> float:
    """The geometric mean of positive ``values``.

    >>> round(geometric_mean([0.5, 2.0, 1.0]), 6)
    1.0
    """
    return math.prod(values) ** (1 / len(values))


def request_count(records: Iterable[Any]) -> int:
    return len(_counted(records))


def bytes_sent(records: Iterable[Any]) -> int:
    return sum(r.bytes_sent for r in _counted(records))


def round_trips(records: Iterable[Any]) -> int:
    """The longest chain of requests each started after the previous one's answer."""
    reqs = sorted(_counted(records), key=lambda r: r.end)
    ends: list[float] = []  # ends[i] = reqs[i].end, ascending
    best: list[int] = []  # best[i] = longest chain ending with reqs[i]
    prefix_max: list[int] = []  # prefix_max[i] = max(best[:i+1])
    for r in reqs:
        k = bisect.bisect_right(ends, r.time)  # requests answered no later than r started
        length = 1 + (prefix_max[k - 1] if k else 0)
        ends.append(r.end)
        best.append(length)
        prefix_max.append(max(length, prefix_max[-1]) if prefix_max else length)
    return max(best, default=0)


if __name__ == "__main__":
    import doctest

    failures, tests = doctest.testmod()
    print(f"{tests - failures} passed, {failures} failed")
    raise SystemExit(1 if failures else 0)


def fmt(v, spec: str) -> str:
    """``format(v, spec)``, or a dash as wide as the spec's width when there is no value."""
    if v is not None:
        return format(v, spec)
    width = "".join(c for c in spec.split(".")[0] if c.isdigit())
    return format("-", f">{width or 1}")
