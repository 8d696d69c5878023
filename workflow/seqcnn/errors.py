"""Errors a user can cause.

``InputError`` is raised for bad files, bad config values and mismatched names. Its message names the
file, line or key and says what was expected; the scripts print it as one line and exit non-zero.
"""


class InputError(ValueError):
    """A user-supplied file or setting is not what the pipeline expects."""
