"""PyInstaller entry for the ``ppds`` command line (console executable)."""
import multiprocessing
import sys

from ppds_desktop.cli import main

# The Paillier engine starts worker processes; frozen builds need this to run them.
multiprocessing.freeze_support()
sys.exit(main())
