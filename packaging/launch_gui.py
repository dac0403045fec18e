"""PyInstaller entry for the desktop app (windowed executable)."""
import multiprocessing
import sys

from ppds_desktop.__main__ import main

# The Paillier engine starts worker processes; frozen builds need this to run them.
multiprocessing.freeze_support()
sys.exit(main())
