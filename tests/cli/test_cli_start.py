"""The command line starts fast: building the parser (``ppds --version``, ``ppds --help``, every
``ppds COMMAND --help``) loads none of the heavy libraries; each command imports its service
when it runs. The figures are in ``benchmarks/bench_cli_start.py``; this guards the cause."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("pandas", "numpy", "pyarrow", "gmpy2", "Crypto", "phe", "sqlcipher3", "jsonschema")


def test_building_the_parser_loads_no_heavy_library():
    code = ("import sys\n"
            "from ppds_desktop import cli\n"
            "try:\n"
            "    cli.main(['--version'])\n"
            "except SystemExit:\n"
            "    pass\n"
            "print('loaded:' + ','.join(sorted({m.split('.')[0] for m in sys.modules}\n"
            "                                  & set(%r))))\n"
            % (HEAVY,))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    loaded = out.stdout.strip().splitlines()[-1].removeprefix("loaded:")
    assert loaded == "", f"ppds --version loads {loaded}: import it inside the command"
