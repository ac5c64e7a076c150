"""The one exception the runner raises for anything the caller can fix: a refusal, in one sentence."""

from __future__ import annotations


class RunnerError(Exception):
    """A refusal or a failure the caller can act on; its message is one sentence, printed without a traceback."""
