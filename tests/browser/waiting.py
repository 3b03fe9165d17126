"""Polling for the browser tests: a page changes on its own time."""
from __future__ import annotations

import time


def wait_for(predicate, timeout: float, what: str, step: float = 0.1):
    """``predicate()``'s first true value, asked every ``step`` seconds for at most ``timeout``."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
