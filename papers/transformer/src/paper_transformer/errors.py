"""The mistakes a user can fix: each is one line on stderr and exit code 2, no traceback.

Kept apart from `config.py` (which imports the libraries, hence torch) so that the command
lines can name these errors before they import anything heavy.
"""

from __future__ import annotations


class UserError(Exception):
    """A mistake the user can fix (bad config, missing dataset): one line, exit code 2."""


class RankError(UserError):
    """Under torchrun, a user error that a rank other than 0 found alone: that rank reports it."""


class RankZeroStopped(UserError):
    """Under torchrun, on the other ranks: rank 0 failed (and reports why); exit code 2 quietly."""
