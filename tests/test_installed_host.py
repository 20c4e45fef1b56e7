"""What an installed distribution says of itself (micropip2/installed.py), read once with
micropip2's header parser, against ``importlib.metadata`` (which parses METADATA with ``email``
for each question) over every distribution of this virtual environment."""

from __future__ import annotations

import email.parser
import sys
from importlib.metadata import PathDistribution

from micropip2.headers import parse_headers
from micropip2.installed import installed_distributions


def test_requires_and_headers_say_what_importlib_metadata_says():
    found = installed_distributions(sys.path)
    dist_infos = [d for d in found.values() if d.dist_info is not None]
    assert len(dist_infos) >= 20  # pytest, packaging, resolvelib, hypothesis, ...
    with_requirements = 0
    for installed in found.values():
        assert installed.requires == list(installed.dist.requires or []), installed.name
        meta = installed.dist.metadata
        assert installed.headers.get("Requires-Python") == meta.get("Requires-Python")
        assert installed.display_name == meta["Name"]
        with_requirements += bool(installed.requires)
    assert with_requirements >= 5


def test_an_egg_info_keeps_its_requirements_in_requires_txt(tmp_path):
    egg = tmp_path / "old-1.0.egg-info"
    egg.mkdir()
    (egg / "PKG-INFO").write_text("Metadata-Version: 1.1\nName: old\nVersion: 1.0\n\n")
    (egg / "requires.txt").write_text("six>=1.0\n\n[extra]\nattrs\n")
    [installed] = installed_distributions([str(tmp_path)]).values()
    assert isinstance(installed.dist, PathDistribution) and installed.dist_info is None
    assert installed.requires == ["six>=1.0", 'attrs; extra == "extra"']


def test_a_blank_continuation_line_does_not_end_the_headers():
    """hatchling folds a whole License text into METADATA, blank lines included as lines of
    spaces; the fields after it (Requires-Dist) are still headers, as ``email`` reads them."""
    text = (
        "Metadata-Version: 2.4\nName: a\nVersion: 1\nLicense: BSD\n        \n        more\n"
        "Requires-Dist: b>=1\nRequires-Python: >=3.9\n\nThe description.\nRequires-Dist: not-me\n"
    )
    headers = parse_headers(text)
    message = email.parser.Parser().parsestr(text)
    assert headers.get_all("Requires-Dist") == message.get_all("Requires-Dist") == ["b>=1"]
    assert headers.get("Requires-Python") == message["Requires-Python"] == ">=3.9"
