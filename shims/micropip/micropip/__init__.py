"""micropip, given by micropip2 (docs/pyscript.md): this module's names are those of
``micropip2.micropip_by_name``, micropip 0.11.1's API running micropip2."""

from micropip2.micropip_by_name import *  # noqa: F403
from micropip2.micropip_by_name import __getattr__ as __getattr__
