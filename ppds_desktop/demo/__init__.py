"""The demo: ``ppds demo``, the installers' self-test and the multi-site homomorphic scenario.

It sits beside ``ui`` and ``cli`` as one more caller of the use cases in ``services``: nothing
in ``services`` or ``core`` imports it. (The demo *vault* the GUI opens with ``--demo``, and the
rails that keep real data out of it, are use cases: ``services/demo.py``.)
"""

from .run import DemoContext, run_demo

__all__ = ["DemoContext", "run_demo"]
