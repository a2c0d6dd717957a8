"""Errors and warnings raised by grokbench; each message says how to fix the problem."""


class Error(ValueError):
    """Base class of every grokbench error."""


class MalformedId(Error):
    """A task id does not follow the grammar ``<stem>-<fraction>[-v<N>]``."""


class UnknownOperation(Error):
    """A task id names an operation stem that is not registered."""


class UnregisteredFraction(Error):
    """A task id names a training fraction that is not on the registered grid."""


class VersionNotFound(Error):
    """A task id names a version that was never registered."""


class InvalidOverride(Error):
    """``make(id, **overrides)`` got an override that does not exist or is out of range."""


class RegistrationError(Error):
    """A task spec cannot be registered (duplicate id, unknown operation)."""


class TimeLimit(Error):
    """Training stopped at its time limit; finished runs are kept and stacks saved to resume."""


class DeprecatedTaskWarning(FutureWarning):
    """An older version of a task was requested; its results are not comparable with the latest.

    A ``FutureWarning`` rather than a ``DeprecationWarning`` so that Python shows it to the
    user by default, whichever module calls ``make``.
    """


class ResumedElsewhere(UserWarning):
    """A stack saved on other hardware resumed here: its runs go on, but not bit for bit as uninterrupted."""
