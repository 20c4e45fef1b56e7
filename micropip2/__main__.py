"""``python -m micropip2``: the command line (see :mod:`micropip2.cli`)."""

import sys

from .cli import main

sys.exit(main())
