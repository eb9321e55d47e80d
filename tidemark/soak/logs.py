"""Every log line of a run, kept to scan for secrets and to count the channel clients' retries."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


class LogCapture(logging.Handler):
    """Every log line written in the run, as the handlers print it (each Powertools Logger's own
    JSON), and the root logger's: kept to scan for secrets, and to count the channel clients'
    retries. Installed in place of the handlers of every logger that prints (the Powertools Logger
    the handlers share), and beside the root logger's."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self._saved: dict[str, list[logging.Handler]] = {}
        self._propagate: dict[str, bool] = {}

    def emit(self, record: logging.LogRecord) -> None:
        name = record.name
        while name and name not in self._saved:
            name = name.rpartition(".")[0]
        formatter = next((h.formatter for h in self._saved.get(name, []) if h.formatter), None)
        try:
            line = (formatter or logging.Formatter("%(levelname)s %(name)s %(message)s")).format(record)
        except Exception:  # kept raw rather than lost
            line = f"{record.msg} {record.args} {record.__dict__}"
        self.lines.append(line)  # under the handler's own lock (Handler.handle)

    def install(self) -> None:
        for name in list(logging.Logger.manager.loggerDict):
            logger = logging.getLogger(name)
            if any(not isinstance(h, logging.NullHandler) for h in logger.handlers):
                self._saved[name] = list(logger.handlers)
                self._propagate[name] = logger.propagate
                logger.handlers, logger.propagate = [self], False
        logging.getLogger().addHandler(self)

    def remove(self) -> None:
        for name, handlers in self._saved.items():
            logger = logging.getLogger(name)
            logger.handlers, logger.propagate = handlers, self._propagate[name]
        logging.getLogger().removeHandler(self)


@contextmanager
def captured_logs() -> Iterator[LogCapture]:
    capture = LogCapture()
    capture.install()
    try:
        yield capture
    finally:
        capture.remove()
