"""The exceptions micropip2 raises. Each message says what was asked, what was found and why it did not fit."""

from __future__ import annotations


class Micropip2Error(Exception):
    """Base class of every error micropip2 raises on purpose."""


class InvalidRequirementError(Micropip2Error, ValueError):
    """A requirement string could not be understood."""


class DownloadError(Micropip2Error):
    """A file could not be fetched (network error, HTTP status, unreadable local file)."""


class HashMismatchError(Micropip2Error):
    """Fetched bytes do not have the sha256 they were promised to have."""


class IncompatibleWheelError(Micropip2Error):
    """A wheel's tags do not fit the interpreter being installed for."""


class InvalidWheelError(Micropip2Error):
    """A wheel archive breaks the binary distribution format (or is unsafe to unpack)."""


class InstallConflictError(Micropip2Error):
    """Installing would replace something that the caller did not ask to replace."""


class InstallFailedError(Micropip2Error):
    """Writing or loading a wheel failed; the environment was restored to how it was."""


class UninstallError(Micropip2Error):
    """A distribution could not be removed safely; nothing was removed."""
