"""PyInstaller entry for the desktop app (windowed executable)."""
import sys

from ppds_desktop.__main__ import main

sys.exit(main())
