"""Logging for rule scripts: one line per event in the rule's log file (and stderr)."""

from __future__ import annotations

import logging
import sys


def setup_logging(log_path=None) -> logging.Logger:
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_path:
        handlers.append(logging.FileHandler(log_path, mode="w"))
    logging.basicConfig(level=logging.INFO, handlers=handlers, force=True,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    return logging.getLogger("seatlib")
