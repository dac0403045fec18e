"""The engine: pure Python, numpy and pandas. Never imports Qt, never prints, keeps no global state.

Long functions take ``task: TaskState | None`` (see :mod:`ppds_desktop.core.progress`) to report
progress and honour Cancel; failures are :class:`ppds_desktop.core.errors.PPDSError` subclasses
whose message a user can read.
"""
