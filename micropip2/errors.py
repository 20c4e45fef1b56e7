"""The exceptions micropip2 raises. Each message says what was asked, what was found and why it
did not fit; the same facts are attributes, so callers need not parse the text, and the lower
error that explains one is chained as its ``__cause__``."""

from __future__ import annotations

import re

# ``//user:password@`` (the password may hold an unencoded "/", "#", "?" or "@": up to the last
# "@" of the word), or ``//user@``.
_USERINFO = re.compile(r"//(?:[^/@\s'\":]*:[^\s'\"]*|[^/@\s'\"]*)@")


def without_credentials(text: str) -> str:
    """``text`` with the user:password part of every URL in it removed (the one scrubber: every
    error message, requirement and URL a :class:`Micropip2Error` carries goes through it)."""
    return _USERINFO.sub("//", text)


class Micropip2Error(ValueError):
    """Base class of every error micropip2 raises on purpose. It is a ``ValueError``, as
    micropip's install failures are: callers written for micropip (marimo) catch only that.

    Attributes (``None`` when they do not apply): ``requirement`` (the requirement text asked
    for), ``project`` (a project name), ``url``, ``file`` (a file name). The message, the
    requirement and the URL never carry credentials: any ``user:password@`` in them is removed.
    """

    def __init__(
        self,
        message: str,
        *,
        requirement: str | None = None,
        project: str | None = None,
        url: str | None = None,
        file: str | None = None,
    ) -> None:
        message = without_credentials(message)
        super().__init__(message)
        self.message = message
        self.requirement = without_credentials(requirement) if requirement else requirement
        self.project = project
        self.url = without_credentials(url) if url else url
        self.file = file


class InvalidOptionError(Micropip2Error, ValueError):
    """An argument is not one of the values it accepts."""


class InvalidRequirementError(Micropip2Error, ValueError):
    """A requirement string could not be understood."""


class DownloadError(Micropip2Error):
    """A file could not be fetched (network error, HTTP status, unreadable local file).

    ``status`` is the HTTP status when the server answered with one, else ``None``;
    ``timed_out`` is true when a time limit ended the request, ``too_large`` when its body went
    past the size allowed; ``failures`` holds the errors of each file when several failed at
    once."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        timed_out: bool = False,
        too_large: bool = False,
        failures: tuple[BaseException, ...] = (),
        **facts: str | None,
    ) -> None:
        super().__init__(message, **facts)
        self.status = status
        self.timed_out = timed_out
        self.too_large = too_large
        self.failures = failures


class DeadlineExceededError(Micropip2Error):
    """An ``install`` or ``sync`` did not finish within its ``deadline``; nothing was changed.

    ``deadline`` is the limit in seconds; ``doing`` what was under way when it passed."""

    def __init__(self, message: str, *, deadline: float, doing: str, **facts: str | None) -> None:
        super().__init__(message, **facts)
        self.deadline = deadline
        self.doing = doing


class ResolutionLimitError(Micropip2Error):
    """A resolution tried more versions than ``install(max_versions_tried=...)`` allows and was
    stopped; nothing was changed. ``limit`` is that bound, ``tried`` the versions tried, by
    project (``{"sphinx": 150, ...}``)."""

    def __init__(
        self, message: str, *, limit: int, tried: dict[str, int], **facts: str | None
    ) -> None:
        super().__init__(message, **facts)
        self.limit = limit
        self.tried = tried


class HashMismatchError(Micropip2Error):
    """Fetched bytes do not have the sha256 (or size) they were promised to have."""

    def __init__(
        self, message: str, *, expected: str = "", actual: str = "", **facts: str | None
    ) -> None:
        super().__init__(message, **facts)
        self.expected = expected
        self.actual = actual


class IncompatibleWheelError(Micropip2Error):
    """A wheel's tags do not fit the interpreter being installed for."""


class InvalidWheelError(Micropip2Error):
    """A wheel archive breaks the binary distribution format (or is unsafe to unpack)."""


class LimitExceededError(Micropip2Error):
    """A wheel or metadata file exceeds one of micropip2's resource limits
    (:mod:`micropip2.limits`); it was refused before being inflated or parsed.

    ``limit`` is the limit's name ("wheel_size", ...), ``value`` its value, ``found`` what the
    file has, ``how`` the call that raises the limit."""

    def __init__(
        self,
        message: str,
        *,
        limit: str,
        value: int,
        found: int | float,
        how: str,
        **facts: str | None,
    ) -> None:
        super().__init__(message, **facts)
        self.limit = limit
        self.value = value
        self.found = found
        self.how = how


class InstallConflictError(Micropip2Error):
    """Installing would replace something that the caller did not ask to replace."""


class ProtectedPackageError(InstallConflictError):
    """The change would remove or replace micropip2 itself or a distribution it needs.

    ``chain`` says why it is needed ("micropip2 -> resolvelib"); ``action`` is "uninstall" or
    "replace"."""

    def __init__(self, message: str, *, chain: str, action: str, **facts: str | None) -> None:
        super().__init__(message, **facts)
        self.chain = chain
        self.action = action


class InstallFailedError(Micropip2Error):
    """Writing or loading a wheel failed; the environment was restored to how it was.

    ``step`` is what was being done ("write files", "load shared libraries", ...)."""

    def __init__(self, message: str, *, step: str = "", **facts: str | None) -> None:
        super().__init__(message, **facts)
        self.step = step


class UninstallError(Micropip2Error):
    """A distribution could not be removed safely; nothing was removed."""


class ChangeInProgressError(Micropip2Error):
    """Another call is changing the environment, and this one cannot wait for it (``uninstall``
    is synchronous). Nothing was changed.

    ``operation`` is the call refused ("uninstall"); ``in_progress`` the one holding the
    environment ("install" or "sync"); ``environment`` its site-packages directory."""

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        in_progress: str,
        environment: str,
        **facts: str | None,
    ) -> None:
        super().__init__(message, **facts)
        self.operation = operation
        self.in_progress = in_progress
        self.environment = environment
