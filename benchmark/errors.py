"""User-facing errors.

A :class:`UserError` is something the user can fix (a path, an option, a file).
The CLI prints its message as one line on stderr and exits non-zero, with no
traceback unless ``--debug`` is given. Messages name the file or option and say
what to do about it.
"""


class UserError(Exception):
    """An error caused by input the user controls; ``str(err)`` is one line."""


class CorpusError(UserError):
    """A corpus path is missing, has the wrong layout, or holds bad audio."""


class AudioError(UserError):
    """An audio file cannot be read or is unusable (corrupt, empty, ...)."""
