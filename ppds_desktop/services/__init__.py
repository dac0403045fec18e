"""Use cases: one function per user action, called by both the GUI and the CLI. No Qt here."""
