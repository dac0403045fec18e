"""The parsers that read outside input, each as a fuzz target: ``run(data: bytes)``.

The rule every target checks: whatever the bytes, the parser returns or raises a ``PPDSError``
(a message for the user); any other exception is a bug. Inputs for the formats made of
several files use a small framing (see :func:`split_parts`) so that mutations reach the XML
and JSON inside instead of only breaking the outer container.

Seeds live in ``tests/fuzz/corpus/<target>/`` (made by ``harness.py --make-corpus``).
"""

from __future__ import annotations

import atexit
import io
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CORPUS = Path(__file__).resolve().parent / "corpus"
PART_SEP = b"\n--ppds-fuzz-part--\n"
NAME_SEP = b"\n--ppds-fuzz-name--\n"
HE_KEY_FILE = CORPUS / "he_key.bin"
THRESHOLD_KEY_FILE = CORPUS / "threshold_key.json"
THRESHOLD_CIPHERTEXTS_FILE = CORPUS / "threshold_ciphertexts.bin"

_TMP = Path(tempfile.mkdtemp(prefix="ppds-fuzz-"))      # the input files of the run
atexit.register(shutil.rmtree, _TMP, ignore_errors=True)


def split_parts(data: bytes) -> dict[str, bytes]:
    """``name NAME_SEP content PART_SEP name NAME_SEP content …`` as ``{name: content}``;
    a part without a name separator is skipped (as a damaged entry would be)."""
    parts = {}
    for chunk in data.split(PART_SEP):
        name, sep, content = chunk.partition(NAME_SEP)
        if sep:
            parts[name.decode("utf-8", "replace")] = content
    return parts


def join_parts(parts: dict[str, bytes]) -> bytes:
    return PART_SEP.join(name.encode() + NAME_SEP + content for name, content in parts.items())


def _file(data: bytes, name: str) -> Path:
    path = _TMP / name
    path.write_bytes(data)
    return path


def _read(path: Path) -> None:
    from ppds_desktop.core.io import preview, read_table
    from ppds_desktop.core.io.options import ReadLimits
    from ppds_desktop.core.schema import profile_table

    limits = ReadLimits(max_file_bytes=1 << 22, max_field_bytes=4096)
    preview(path, limits=limits)
    result = read_table(path, limits=limits)
    profile_table(result.table)


def run_csv(data: bytes) -> None:
    _read(_file(data, "input.csv"))


def run_parquet(data: bytes) -> None:
    _read(_file(data, "input.parquet"))


def run_xlsx(data: bytes) -> None:
    """A workbook built from the framed parts (mutations land in its XML)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in split_parts(data).items():
            try:
                archive.writestr(name or "empty", content)
            except (ValueError, UnicodeEncodeError, IndexError):
                continue        # a name zipfile cannot store ("/", surrogates): part left out
    _read(_file(buf.getvalue(), "input.xlsx"))


def run_xlsx_raw(data: bytes) -> None:
    _read(_file(data, "raw.xlsx"))


def run_card(data: bytes) -> None:
    from ppds_desktop.core.identity import parse_card

    parse_card(data)


def run_bundle_header(data: bytes) -> None:
    from ppds_desktop.core.bundle.format import parse_header, parse_prefix

    parse_prefix(data[:16], "fuzz")
    parse_header(data, "fuzz")


def run_bundle_container(data: bytes) -> None:
    """The decrypted payload of a bundle: file records and the manifest, checked."""
    from ppds_desktop.core.bundle.container import ContainerReader, MemorySink

    reader = ContainerReader(MemorySink(max_total=1 << 20), bundle_id="ab" * 16,
                             kind="release", source="fuzz")
    for i in range(0, len(data), 997):        # fed in pieces, as chunks arrive
        reader.feed(data[i:i + 997])
    reader.finish()


def run_recipe(data: bytes) -> None:
    """A recipe file: JSON, the schema, then a run on a small table."""
    from ppds_desktop.core import recipe as R
    from ppds_desktop.core.recipe.run import run_recipe as run

    recipe = R.load(_file(data, "recipe.json"))
    R.column_actions(recipe)
    R.privacy_settings(recipe)
    R.risk_settings(recipe)
    frame = _small_frame()
    R.check_columns(recipe, list(frame.columns))
    run(frame.copy(), recipe, base_dir=_TMP)


def run_he_request(data: bytes) -> None:
    from ppds_desktop.core.he.request import DecryptionRequest

    DecryptionRequest.from_files(split_parts(data)).describe()


def run_he_result(data: bytes) -> None:
    from ppds_desktop.core.he.aggregate import DecryptionResult

    DecryptionResult.from_files(split_parts(data)).frame()


def run_he_cells(data: bytes) -> None:
    from ppds_desktop.core.he import serial

    serial.loads(data, he_keys()[0])


def _study_message(cls_name: str, data: bytes):
    from ppds_desktop.core.study import protocol

    return getattr(protocol, cls_name).from_files(split_parts(data))


def run_study_invitation(data: bytes) -> None:
    _study_message("Invitation", data)


def run_study_round(data: bytes) -> None:
    _study_message("RoundOpening", data)


def run_study_contribution(data: bytes) -> None:
    _study_message("ContributionDoc", data)


def run_study_request(data: bytes) -> None:
    _study_message("RequestDoc", data).digest


def run_study_answer(data: bytes) -> None:
    _study_message("AnswerDoc", data)


def run_study_result(data: bytes) -> None:
    _study_message("ResultDoc", data).document()


def run_study_definition(data: bytes) -> None:
    """A definition as an invitation carries it: parsed, hashed, its spec read as a joiner's
    preview reads it."""
    from ppds_desktop.core.study.definition import StudyDefinition

    definition = StudyDefinition.from_bytes(data)
    definition.fingerprint, definition.sites, definition.holders
    _study_statistics(definition.spec, len(definition.sites))


def run_study_spec(data: bytes) -> None:
    """The statistics spec (``analyses.json``, or a definition's ``spec``), with the plan and
    the packing layout a preview computes from it."""
    from ppds_desktop.core.study.analyses import StudySpec

    _study_statistics(StudySpec.from_json(data).to_dict(), 3)


def _study_statistics(spec, n_sites: int) -> None:
    from ppds_desktop.core.study.payload import StudyStatistics

    st = StudyStatistics.of(spec, max(n_sites, 2), 2048)
    st.shape, st.statistic_labels, st.privacy


def run_threshold_share(data: bytes) -> None:
    """A key share as an invitation carries it (with its split key and ceremony record)."""
    from ppds_desktop.core.he.threshold import KeyShare

    KeyShare.from_bytes(data)


def run_threshold_partial(data: bytes) -> None:
    """A holder's partial decryptions with their proof, read and checked against the request's
    ciphertexts under the corpus's split key."""
    from ppds_desktop.core.he.threshold.partial import PartialDecryption, check_partial

    key, ciphertexts = threshold_material()
    check_partial(key, ciphertexts, PartialDecryption.from_bytes(data, key))


_FRAME = None
_HE_KEYS = None
_THRESHOLD = None


def _small_frame():
    global _FRAME
    if _FRAME is None:
        from ppds_desktop.core.sample import generate_admissions

        _FRAME = generate_admissions(40, seed=7)
    return _FRAME


def he_keys():
    """The fuzz corpus's own 512-bit Paillier key (a test key, nothing else uses it)."""
    global _HE_KEYS
    if _HE_KEYS is None:
        from ppds_desktop.core.he.keys import private_key_from_bytes

        private = private_key_from_bytes(HE_KEY_FILE.read_bytes())
        _HE_KEYS = (private.public_key, private)
    return _HE_KEYS


def threshold_material():
    """The fuzz corpus's own 512-bit split key and the combined ciphertexts its partial
    decryption seeds answer (a test study's, nothing else uses them)."""
    global _THRESHOLD
    if _THRESHOLD is None:
        from ppds_desktop.core import safe_json
        from ppds_desktop.core.he import serial
        from ppds_desktop.core.he.threshold import ThresholdKey

        key = ThresholdKey.from_dict(safe_json.loads(THRESHOLD_KEY_FILE.read_bytes(),
                                                        what="key", error=ValueError))
        array = serial.loads(THRESHOLD_CIPHERTEXTS_FILE.read_bytes(), key.public_key)
        _THRESHOLD = (key, [int(c) for c in array.ciphertexts])
    return _THRESHOLD


TARGETS = {
    "csv": run_csv,
    "parquet": run_parquet,
    "xlsx": run_xlsx,
    "xlsx_raw": run_xlsx_raw,
    "card": run_card,
    "bundle_header": run_bundle_header,
    "bundle_container": run_bundle_container,
    "recipe": run_recipe,
    "he_request": run_he_request,
    "he_result": run_he_result,
    "he_cells": run_he_cells,
    "study_invitation": run_study_invitation,
    "study_round": run_study_round,
    "study_contribution": run_study_contribution,
    "study_request": run_study_request,
    "study_answer": run_study_answer,
    "study_result": run_study_result,
    "study_definition": run_study_definition,
    "study_spec": run_study_spec,
    "threshold_share": run_threshold_share,
    "threshold_partial": run_threshold_partial,
}


def seeds(target: str) -> list[bytes]:
    folder = CORPUS / target
    return [p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()]
