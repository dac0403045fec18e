"""What the PyInstaller build leaves out, and how each platform describes the app.

Kept apart from ``ppds.spec`` so that the tests can check it on any machine: the trim rules
against Windows, macOS and Linux paths, the macOS Info.plist keys, the Windows version resource.
"""

from __future__ import annotations

import re

APP_NAME = "PPDS Desktop"
BUNDLE_ID = "org.ppds.desktop"
PUBLISHER = "PPDS Desktop maintainers"
# The oldest macOS the .app runs on. The newest PySide6 (the version the test suite runs with)
# ships wheels for macOS 13 and later only; the macOS jobs install wheels resolved for this
# version (packaging/check_wheels.py), so no bundled library needs a newer one.
MACOS_MINIMUM = "13.0"

# Qt modules the app does not use: excluding them keeps ~150 MB of libraries out.
QT_UNUSED = [
    "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtQuickControls2", "PySide6.QtQuickWidgets",
    "PySide6.QtQuickTest", "PySide6.QtQmlFeatures", "PySide6.QtLabsStyleKit",
    "PySide6.QtNetwork", "PySide6.QtOpenGL", "PySide6.QtOpenGLWidgets",
    "PySide6.QtDesigner", "PySide6.QtHelp", "PySide6.QtSql", "PySide6.QtConcurrent",
    "PySide6.QtUiTools", "PySide6.QtXml", "PySide6.QtTest", "PySide6.QtPdf", "PySide6.QtPdfWidgets",
    "PySide6.QtMultimedia", "PySide6.QtWebEngineCore", "PySide6.QtWebEngineWidgets",
    "PySide6.Qt3DCore", "PySide6.QtCharts", "PySide6.QtDataVisualization",
]
# pyarrow features the app never uses (remote file systems, Flight RPC, ORC, Substrait, GPU).
ARROW_UNUSED = ["pyarrow.flight", "pyarrow._flight", "pyarrow._s3fs", "pyarrow._azurefs",
                "pyarrow._gcsfs", "pyarrow._hdfs", "pyarrow.substrait", "pyarrow._substrait",
                "pyarrow.orc", "pyarrow._orc", "pyarrow._dataset_orc", "pyarrow.cuda",
                "pyarrow.gandiva", "pyarrow.tests", "pandas.tests", "numpy.tests"]
# Development-only Python packages that must never ship.
DEV_ONLY = ["pytest", "pytestqt", "hypothesis", "pycanon", "scipy", "IPython", "tkinter",
            "matplotlib", "PyInstaller", "setuptools", "pip", "opendp"]

# Files the app never loads. PySide6 keeps Qt under ``PySide6/Qt/`` on Linux and macOS but
# directly under ``PySide6/`` on Windows, and library names differ (``libQt6EglFs.so``,
# ``Qt6EglFs.dll``, ``arrow_flight.dll``): the rules match either layout.
_QT_DIR = r"PySide6/(?:Qt/)?"
_UNUSED_FILES = re.compile("|".join([
    # QML, translations, and plugins for SQL drivers, multimedia, QML tooling, Designer,
    # network information, TLS, positioning, embedded EGL
    _QT_DIR + r"(?:qml|translations)/",
    _QT_DIR + r"plugins/(?:sqldrivers|multimedia|qmltooling|designer|networkinformation|tls|"
              r"position|egldeviceintegrations)/",
    # Qt's embedded-EGL library; Arrow's Flight and remote-filesystem libraries (no library
    # we load links them)
    r"(?:^|/)(?:lib)?(?:Qt6EglFs|arrow_flight|arrow_python_flight|arrow_s3|arrow_azure|"
    r"arrow_gcs)[^/]*$",
    # headers and Cython sources shipped for building extensions
    r"pyarrow/include/",
    r"\.(?:pyx|pxd|pxi|h|hpp)$",
]))


def is_unused(dest_path: str) -> bool:
    """Whether a file of the bundle (its destination path, any separator) can be left out."""
    return _UNUSED_FILES.search(dest_path.replace("\\", "/")) is not None


def without_unused(toc):
    """A PyInstaller TOC (``(dest, src, typecode)`` entries) without the files the app never
    loads."""
    return [entry for entry in toc if not is_unused(entry[0])]


def macos_info_plist(version: str) -> dict:
    """Info.plist keys for the .app. ``LSBackgroundOnly`` is set false explicitly: PyInstaller
    writes it true when the bundle's last executable is a console one (the ``ppds`` CLI), which
    makes a Dock-less, menu-less app. The app pins a light appearance (see ``ui/app.py``):
    ``NSRequiresAquaSystemAppearance`` keeps macOS from drawing its controls dark."""
    return {
        "CFBundleName": APP_NAME,
        "CFBundleDisplayName": APP_NAME,
        "CFBundleShortVersionString": version,
        "CFBundleVersion": version,
        "LSBackgroundOnly": False,
        "LSMinimumSystemVersion": MACOS_MINIMUM,
        "NSHighResolutionCapable": True,
        "NSRequiresAquaSystemAppearance": True,
        "NSHumanReadableCopyright": f"© {PUBLISHER}. Apache License 2.0.",
    }


def windows_version_info(version: str, exe_name: str, description: str) -> str:
    """The text form of a Windows version resource (what PyInstaller's ``version=`` file
    holds), so Explorer's Properties and Windows' own dialogs name the program and its
    version."""
    numbers = [int(n) for n in re.findall(r"\d+", version)[:4]]
    quad = tuple(numbers + [0] * (4 - len(numbers)))
    strings = [("CompanyName", PUBLISHER), ("FileDescription", description),
               ("FileVersion", version), ("InternalName", exe_name.removesuffix(".exe")),
               ("LegalCopyright", f"© {PUBLISHER}. Apache License 2.0."),
               ("OriginalFilename", exe_name), ("ProductName", APP_NAME),
               ("ProductVersion", version)]
    table = ",\n          ".join(f"StringStruct({k!r}, {v!r})" for k, v in strings)
    return f"""VSVersionInfo(
  ffi=FixedFileInfo(filevers={quad}, prodvers={quad}, mask=0x3f, flags=0x0, OS=0x40004,
                    fileType=0x1, subtype=0x0, date=(0, 0)),
  kids=[
    StringFileInfo([StringTable('040904B0', [
          {table}])]),
    VarFileInfo([VarStruct('Translation', [1033, 1200])]),
  ]
)
"""
