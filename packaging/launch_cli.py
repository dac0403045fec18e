"""PyInstaller entry for the ``ppds`` command line (console executable)."""
import sys

from ppds_desktop.cli import main

sys.exit(main())
