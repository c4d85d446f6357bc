"""LocalPoller: the azure.core LROPoller itself, driven by a local function instead of HTTP polling.

Subclassing the real LROPoller (rather than imitating it) keeps result()/done()/wait()/status()/add_done_callback()
and isinstance(poller, LROPoller) exactly as notebooks see them on Azure.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from azure.core.polling import LROPoller, PollingMethod


class _LocalPolling(PollingMethod):
    """Runs `work()` once; status strings follow Azure's ARM provisioning states."""

    def __init__(self, work: Callable[[], Any], background: bool):
        self._work = work
        self._background = background
        self._status = "InProgress"
        self._result: Any = None
        self._error: Optional[BaseException] = None

    def initialize(self, client: Any, initial_response: Any, deserialization_callback: Callable) -> None:
        if not self._background:  # quick local work: do it now, so prints appear in the calling cell
            self._execute()

    def _execute(self) -> None:
        try:
            self._result = self._work()
            self._status = "Succeeded"
        except BaseException as e:  # kept and re-raised by result(), as the SDK raises at .result()
            self._error = e
            self._status = "Failed"

    def run(self) -> None:
        if self._status == "InProgress":
            self._execute()
        if self._error is not None:
            raise self._error

    def status(self) -> str:
        return self._status

    def finished(self) -> bool:
        return self._status != "InProgress"

    def resource(self) -> Any:
        if self._error is not None:
            raise self._error
        return self._result

    def get_continuation_token(self) -> str:
        raise TypeError("The local workspace's operations finish in this process: there is nothing to resume.")


class LocalPoller(LROPoller):
    """`LocalPoller(work)` runs work() now (background=False) or in a thread (background=True);
    result() returns its value or raises its exception."""

    def __init__(self, work: Callable[[], Any], *, background: bool = False):
        super().__init__(None, None, lambda r: r, _LocalPolling(work, background))

    def result(self, timeout: Optional[float] = None) -> Any:
        self.wait(timeout)
        return self.polling_method().resource()

    def wait(self, timeout: Optional[float] = None) -> None:
        super().wait(timeout)
        err = self.polling_method()._error  # eager work failed: raise it here as a failed LRO would
        if err is not None and self.done():
            raise err


def completed(value: Any) -> LocalPoller:
    """A poller already finished with `value`."""
    return LocalPoller(lambda: value)
