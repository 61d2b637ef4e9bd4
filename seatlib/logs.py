"""Logging for rule scripts: one line per event in the rule's log file (and stderr).

An uncaught exception is written to the log file too, so a failed job's log says why it failed
(on a cluster, stderr ends up in the scheduler's own log, not in the rule's ``log:`` file).
"""

from __future__ import annotations

import logging
import sys


def setup_logging(log_path=None) -> logging.Logger:
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_path:
        handlers.append(logging.FileHandler(log_path, mode="w"))
    logging.basicConfig(level=logging.INFO, handlers=handlers, force=True,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logger = logging.getLogger("seatlib")

    def log_uncaught(exc_type, exc, tb):
        if not issubclass(exc_type, KeyboardInterrupt):
            logger.error("%s: %s", exc_type.__name__, exc, exc_info=(exc_type, exc, tb))

    sys.excepthook = log_uncaught
    return logger
