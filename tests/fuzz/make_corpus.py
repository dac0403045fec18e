"""Write the fuzz seed corpus: a few small, valid inputs per target (kept in the repository).

Run by ``harness.py --make-corpus``; the files are deterministic except where a format holds
fresh keys or random ids (cards, bundle headers, HE ciphertexts).
"""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path

import targets as T


def _write(folder: Path, name: str, data: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)


def _sample(rows: int = 12):
    from ppds_desktop.core.sample import generate_admissions

    return generate_admissions(rows, seed=3)


def csv_seeds() -> dict[str, bytes]:
    from ppds_desktop.paths import sample_csv

    head = b"".join(sample_csv().read_bytes().splitlines(keepends=True)[:13])
    return {
        "sample.csv": head,
        "semicolon_comma_decimal.csv": "Name;Ort;Betrag\nJosé;Zürich;12,5\nAnn;Köln;-3,25\n"
                                       .encode("utf-8-sig"),
        "cp1252_title.csv": "Report of 2024\nname,amount,when\nRen\xe9,1.5,2024-02-29\n"
                            "Zoë,2,2024-03-01\n".encode("cp1252"),
        "quoted_newlines.tsv": b'id\tnote\tflag\n1\t"two\nlines"\ttrue\n2\t"say ""hi"""\tfalse\n',
        "dates_and_codes.csv": b"zip,phone,dob,ts\n02134,555-0101,1980-01-31,2024-01-01 10:00:00"
                               b"\n90210,555-0102,31/12/1999,2024-01-02T11:30:00\n",
    }


def parquet_seeds() -> dict[str, bytes]:
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    out = {}
    for name, table in {
        "sample.parquet": pa.Table.from_pandas(_sample(), preserve_index=False),
        "types.parquet": pa.table({
            "ts": pa.array([dt.datetime(2024, 1, 1, 12)], pa.timestamp("us", tz="UTC")),
            "d": pa.array([dt.date(1899, 12, 31)]), "b": [True], "lst": [[1, 2]],
            "cat": pa.array(["x"]).dictionary_encode(), "bin": [b"\x00\x01"]}),
    }.items():
        buf = io.BytesIO()
        pq.write_table(table, buf)
        out[name] = buf.getvalue()
    return out


def xlsx_seeds() -> dict[str, bytes]:
    import openpyxl

    from ppds_desktop.core.io import write_table

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = write_table(_sample(8), Path(tmp) / "ours.xlsx")
        out["ours.xlsx"] = path.read_bytes()
        book = openpyxl.Workbook()          # shared strings, dates, a second sheet
        sheet = book.active
        sheet.append(["name", "when", "amount"])
        sheet.append(["Ann", __import__("datetime").date(2024, 2, 29), 1.5])
        sheet.append(["=1+1", None, -2])
        book.create_sheet("other").append(["x"])
        book.save(Path(tmp) / "openpyxl.xlsx")
        out["openpyxl.xlsx"] = (Path(tmp) / "openpyxl.xlsx").read_bytes()
    return out


def bundle_seeds() -> tuple[dict[str, bytes], dict[str, bytes], dict[str, bytes]]:
    from ppds_desktop.core.bundle import FileSource, seal_bundle
    from ppds_desktop.core.bundle.container import (CONTAINER_MAGIC, MANIFEST_FORMAT,
                                                    MANIFEST_VERSION, file_record_head,
                                                    manifest_record)
    from ppds_desktop.core.bundle.crypto import bulk_hasher
    from ppds_desktop.core.bundle.format import parse_prefix
    from ppds_desktop.core.he.keys import public_key_to_dict
    from ppds_desktop.core.identity import KeyPairs, make_card

    sender, recipient = KeyPairs.generate(), KeyPairs.generate()
    cards = {
        "plain.card": make_card(sender, identity_id="cd" * 16, display_name="Fuzz Hospital",
                                organisation="Org", created_at="2026-01-01T00:00:00Z").to_bytes(),
        "paillier.card": make_card(recipient, identity_id="ef" * 16, display_name="Key holder",
                                   organisation="Lab", created_at="2026-01-02T00:00:00Z",
                                   extensions={"paillier": public_key_to_dict(T.he_keys()[0])}
                                   ).to_bytes(),
    }
    headers = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n_recipients in (1, 3):
            path = Path(tmp) / "b.ppdsb"
            seal_bundle(path, sender=sender,
                        recipients=[KeyPairs.generate().enc_public for _ in range(n_recipients)],
                        kind="release", manifest={"title": "fuzz"},
                        files=[FileSource("data.parquet", data=b"x" * 10)])
            blob = path.read_bytes()
            headers[f"header{n_recipients}.bin"] = blob[:parse_prefix(blob[:16], "seed")]
    files = {"data.parquet": b"PAR1" + bytes(range(40)) + b"PAR1", "he_columns.bin": b""}
    manifest = {"title": "fuzz", "format": MANIFEST_FORMAT, "version": MANIFEST_VERSION,
                "bundle_id": "ab" * 16, "kind": "release", "created_at": "2026-01-01T00:00:00Z",
                "files": [{"name": n, "size": len(d), "blake3": ""}
                          for n, d in files.items()]}
    for entry, data in zip(manifest["files"], files.values()):
        h = bulk_hasher()
        h.update(data)
        entry["blake3"] = h.hexdigest()
    payload = CONTAINER_MAGIC + b"".join(file_record_head(n, len(d)) + d
                                         for n, d in files.items()) + manifest_record(manifest)
    return cards, headers, {"payload.bin": payload}


def recipe_seeds() -> dict[str, bytes]:
    from ppds_desktop.core import recipe as R
    from ppds_desktop.core.recipe.presets import HIPAA, RESEARCH, make_preset

    columns = list(_sample().columns)
    roles = {"Name": "identifier", "Email": "identifier", "Age": "quasi_identifier",
             "Gender": "quasi_identifier", "ZIP": "quasi_identifier",
             "Medical Condition": "sensitive"}
    out = {}
    for name, preset in (("hipaa.json", HIPAA), ("research.json", RESEARCH)):
        out[name] = R.dumps(make_preset(preset, columns, roles)).encode()
    kanon = R.new_recipe(name="k")
    kanon["columns"] = {"Age": {"role": "quasi_identifier", "action": {
        "type": "generalize", "hierarchy": {"kind": "intervals", "width": 10}}},
        "Gender": {"role": "quasi_identifier"}, "Name": {"role": "identifier",
                                                        "action": {"type": "drop"}}}
    kanon["privacy"] = {"models": [{"type": "k-anonymity", "k": 2}], "suppression_limit": 0.5}
    try:
        out["kanon.json"] = R.dumps(kanon).encode()
    except Exception:  # noqa: BLE001 - a seed the schema does not take is simply left out
        pass
    return out


def he_seeds() -> tuple[dict[str, bytes], dict[str, bytes], dict[str, bytes]]:
    from ppds_desktop.core.he import CRTDecryptor, serial
    from ppds_desktop.core.he.aggregate import Contribution, DecryptionResult, evaluate
    from ppds_desktop.core.he.columns import encrypt_columns
    from ppds_desktop.core.he.query import parse_query
    from ppds_desktop.core.he.request import build_request

    public, private = T.he_keys()
    section = {"columns": [{"name": "Billing Amount", "scale": 100, "max_abs": 100000}, "Age"],
               "public_key": {"contact": "Key holder"}, "expected_records": 1000}
    contributions = []
    for i in range(2):
        df = _sample(12)[["Medical Condition", "Gender", "Billing Amount", "Age"]]
        arr = encrypt_columns(df, section, public, workers=1)
        # A request carries each site's signed bundle; its bytes are only hashed when parsed.
        contributions.append(Contribution(f"site{i}", df.drop(columns=arr.meta["columns"]), arr,
                                          {"bundle_id": f"{i:032x}"},
                                          bundle=f"signed bundle of site {i}".encode()))
    requests, results, cells = {}, {}, {}
    for name, query in (("sum", "sum Age"), ("mean_by", "mean Billing Amount by Gender")):
        request = build_request(contributions, parse_query(query))
        requests[f"{name}.bin"] = T.join_parts(request.to_files())
        rows = evaluate(request.verified, CRTDecryptor(private, workers=1), min_records=1)
        result = DecryptionResult(request.request_id, request.created_at, request.query,
                                  request.key_fingerprint, request.sources, 1, rows)
        results[f"{name}.bin"] = T.join_parts(result.to_files())
        cells[f"{name}.bin"] = serial.dumps(request.array)
    return requests, results, cells


def study_seeds() -> dict[str, dict[str, bytes]]:
    """Every study message, the definition, a key share and a partial decryption as a small
    real study (512-bit split key, two sites) makes them: the files each bundle carries,
    recorded as they are sealed. Also the split key and the combined ciphertexts the partial
    decryption target checks against (written next to the corpus folders)."""
    import os

    from ppds_desktop.core.study import protocol as msg
    from ppds_desktop.demo import study_scenario as scenario
    from ppds_desktop.services import study, study_common

    os.environ.setdefault("PPDS_TEST_FAST_KDF", "1")       # throw-away vaults
    sealed: dict[str, list[dict[str, bytes]]] = {}
    real_seal = study_common.seal_for_keys

    def record(vault, *, kind, files, **kwargs):
        sealed.setdefault(kind, []).append(dict(files))
        return real_seal(vault, kind=kind, files=files, **kwargs)

    mapping = {v: v for v in ("Age", "BMI", "Smoker", "Sex")}
    study_common.seal_for_keys = record
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            sc = scenario.build(work / "s", "fuzz corpus", sites=2, rows=30, bits=512,
                                min_sites=2, threshold=2,
                                dp={"epsilon": 1.0, "delta": 1e-6, "honest_sites": 1})
            try:
                contributions = [study.contribute(s.vault, sc.study_id, "patients", mapping,
                                                  work / f"c{i}.ppdsb").path
                                 for i, s in enumerate(sc.sites)]
                request = study.combine(sc.sites[0].vault, sc.study_id, contributions,
                                        work / "req.ppdsb")
                answers = [study.answer(p.vault, request.path, work / f"a{i}.ppdsb").path
                           for i, p in enumerate((sc.coordinator, sc.sites[0]))]
                study.finish(sc.sites[1].vault, request.path, answers, work / "res.ppdsb")
                study.new_round(sc.coordinator.vault, sc.study_id, work / "round.ppdsb")
            finally:
                sc.close()
    finally:
        study_common.seal_for_keys = real_seal
    out: dict[str, dict[str, bytes]] = {}
    for kind, files_list in sealed.items():
        out[kind] = {f"{kind.removeprefix('study_')}-{i}.parts": T.join_parts(files)
                     for i, files in enumerate(files_list[:2])}
    invitation = sealed[msg.KIND_INVITATION][0]
    out["study_definition"] = {"study.json": invitation[msg.DEFINITION_FILE]}
    out["threshold_share"] = {"share.json": invitation[msg.SHARE_FILE]}
    out["threshold_partial"] = {f"partial-{i}.bin": files[msg.PARTIAL_FILE]
                                for i, files in enumerate(sealed[msg.KIND_ANSWER])}
    out["study_spec"] = {"bmi.json": json.dumps(scenario.spec(min_sites=2)).encode(),
                         "bmi_dp.json": json.dumps(scenario.spec(
                             dp={"epsilon": 2.0, "delta": 1e-7, "honest_sites": 2})).encode()}
    from ppds_desktop.core.study.definition import StudyDefinition

    key = StudyDefinition.from_bytes(invitation[msg.DEFINITION_FILE]).key
    T.THRESHOLD_KEY_FILE.write_text(json.dumps(key.to_dict(), indent=1))
    T.THRESHOLD_CIPHERTEXTS_FILE.write_bytes(sealed[msg.KIND_REQUEST][0][msg.COMBINED_FILE])
    return out


def write_all(corpus: Path) -> None:
    from ppds_desktop.core.he.keys import generate_keypair, private_key_to_bytes

    if not T.HE_KEY_FILE.exists():
        corpus.mkdir(parents=True, exist_ok=True)
        T.HE_KEY_FILE.write_bytes(private_key_to_bytes(generate_keypair(512)[1]))
    for name, data in csv_seeds().items():
        _write(corpus / "csv", name, data)
    for name, data in parquet_seeds().items():
        _write(corpus / "parquet", name, data)
    import zipfile

    for name, data in xlsx_seeds().items():
        _write(corpus / "xlsx_raw", name, data)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = {n: archive.read(n) for n in archive.namelist()}
        _write(corpus / "xlsx", name.replace(".xlsx", ".parts"), T.join_parts(parts))
    cards, headers, payloads = bundle_seeds()
    for folder, seeds in (("card", cards), ("bundle_header", headers),
                          ("bundle_container", payloads), ("recipe", recipe_seeds())):
        for name, data in seeds.items():
            _write(corpus / folder, name, data)
    for folder, seeds in zip(("he_request", "he_result", "he_cells"), he_seeds()):
        for name, data in seeds.items():
            _write(corpus / folder, name, data)
    write_study(corpus)
    print(json.dumps({p.name: len(list(p.iterdir())) for p in sorted(corpus.iterdir())
                      if p.is_dir()}))


def write_study(corpus: Path) -> None:
    """The study and split-key seeds only (``harness.py --make-corpus --only-study``)."""
    for folder, seeds in study_seeds().items():
        for name, data in seeds.items():
            _write(corpus / folder, name, data)
