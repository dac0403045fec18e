"""The Qt binding hands Python objects through signals without losing references.

PySide6 6.12.0 dropped one reference per emit of a Python object to a Python slot: after enough
emits of ``True`` the interpreter aborted ("deallocating True"), and a job's result could be
freed while still in use. pyproject.toml excludes that version; this test catches a new one.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    flag = Signal(bool)
    value = Signal(object)


def test_emitting_python_objects_keeps_their_reference_counts(qtbot):
    emitter, received = _Emitter(), []
    emitter.flag.connect(received.append)
    emitter.value.connect(received.append)
    payload = object()
    before = sys.getrefcount(True), sys.getrefcount(payload)
    for _ in range(50):
        emitter.flag.emit(True)
        emitter.value.emit(payload)
    received.clear()
    assert (sys.getrefcount(True), sys.getrefcount(payload)) == before
