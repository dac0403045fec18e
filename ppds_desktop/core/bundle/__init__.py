"""Share bundle format v1: seal / open / inspect (specification: ``docs/bundle-format.md``)."""

from .container import DirectorySink, FileSource, MemorySink, Sink, check_file_name
from .format import CHUNK_SIZE, MAX_CHUNKS, MAX_HEADER, MAX_MANIFEST, MAX_RECIPIENTS, VERSION
from .inspect import BundleSummary, inspect_bundle
from .opener import OpenedBundle, open_bundle
from .seal import SealRandomness, SealResult, seal_bundle

__all__ = [
    "CHUNK_SIZE", "MAX_CHUNKS", "MAX_HEADER", "MAX_MANIFEST", "MAX_RECIPIENTS", "VERSION",
    "BundleSummary", "DirectorySink", "FileSource", "MemorySink", "OpenedBundle",
    "SealRandomness", "SealResult", "Sink", "check_file_name", "inspect_bundle", "open_bundle",
    "seal_bundle",
]
