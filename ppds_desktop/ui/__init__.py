"""The PySide6 desktop interface. Only this package imports Qt (see docs/architecture.md "GUI")."""
