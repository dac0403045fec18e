"""``python -m ppds_desktop.cli``: the same as the ``ppds`` command."""

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
