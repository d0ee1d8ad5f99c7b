"""The mistakes a user can fix: each is one line on stderr and exit code 2, no traceback."""

from __future__ import annotations


class UserError(Exception):
    """A mistake the user can fix (bad config, missing dataset, a used run name)."""
