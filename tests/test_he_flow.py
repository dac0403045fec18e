"""Encrypted release columns, decryption requests and answers, across real vaults and bundles."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import phe
import pytest

from ppds_desktop.core.errors import CryptoError, InputError, RecipeError
from ppds_desktop.core.he import CRTDecryptor, generate_keypair
from ppds_desktop.core.he.aggregate import (Contribution, DecryptionRequest, DecryptionResult,
                                            build_request, evaluate)
from ppds_desktop.core.he.columns import encrypt_columns, layout_for_section
from ppds_desktop.core.he.query import parse_query
from ppds_desktop.core.recipe import new_recipe, validate
from ppds_desktop.core.sample import generate_admissions

SECTION = {"columns": [{"name": "Billing Amount", "scale": 100, "max_abs": 100000}, "Age"],
           "public_key": {"contact": "Key holder"}, "expected_records": 10000}


@pytest.fixture(scope="module")
def keys():
    return generate_keypair(1024)


def frames(n_sites=2, rows=60):
    return [generate_admissions(rows, seed=s)[["Medical Condition", "Gender", "Billing Amount",
                                                "Age"]] for s in range(n_sites)]


def contributions(pk, dfs, section=SECTION):
    out = []
    for i, df in enumerate(dfs):
        arr = encrypt_columns(df, section, pk, workers=1)
        out.append(Contribution(f"site{i}", df.drop(columns=arr.meta["columns"]), arr))
    return out


def test_recipe_section_schema_accepts_and_rejects():
    recipe = new_recipe(encryption=SECTION)
    assert validate(recipe) is recipe
    with pytest.raises(RecipeError, match="encryption"):
        validate({**recipe, "encryption": {**SECTION, "colour": "red"}})


def test_record_packing_fits_one_ciphertext_per_record(keys):
    layout = layout_for_section(SECTION)
    assert layout.total_bits < 1022          # value + square + count for two columns
    arr = encrypt_columns(frames(1, 5)[0], SECTION, keys[0], workers=1)
    assert len(arr) == 5


def test_encrypted_means_and_variances_equal_plaintext(keys):
    pk, sk = keys
    dfs = frames(3)
    dfs[1].loc[dfs[1].index[:4], "Billing Amount"] = np.nan    # missing values are left out
    query = parse_query("mean Billing Amount, variance Billing Amount, count Billing Amount, "
                        "sum Age by Medical Condition where Gender = Female")
    request = build_request(contributions(pk, dfs), query)
    request = DecryptionRequest.from_files(request.to_files())        # travels as files
    result = evaluate(request, CRTDecryptor(sk), min_records=1)
    result = DecryptionResult.from_files(result.to_files())
    plain = pd.concat(dfs)
    plain = plain[plain["Gender"] == "Female"]
    expected = plain.groupby("Medical Condition")
    assert {r["group"]["Medical Condition"] for r in result.rows} == set(expected.groups)
    for row in result.rows:
        grp = expected.get_group(row["group"]["Medical Condition"])
        bills = grp["Billing Amount"].dropna().round(2)
        v = row["values"]
        assert v["count Billing Amount"] == len(bills)
        assert v["mean Billing Amount"] == pytest.approx(bills.mean(), rel=1e-12)
        if len(bills) > 1:
            assert v["variance Billing Amount"] == pytest.approx(bills.var(ddof=1), rel=1e-9)
        assert v["sum Age"] == grp["Age"].sum()
        assert row["records"] == len(grp)


def test_small_cells_are_refused_and_only_asked_cells_leave(keys):
    pk, sk = keys
    dfs = frames(1, 40)
    request = build_request(contributions(pk, dfs), parse_query("mean Age by Medical Condition"))
    sizes = dfs[0]["Medical Condition"].value_counts()
    result = evaluate(request, CRTDecryptor(sk), min_records=8)
    for row in result.rows:
        n = sizes[row["group"]["Medical Condition"]]
        if n < 8:
            assert row["refused"] and row["values"] == {}
        else:
            assert row["refused"] is None and set(row["values"]) == {"mean Age"}


def test_requester_cannot_overclaim_records(keys):
    pk, sk = keys
    request = build_request(contributions(pk, frames(1, 30)), parse_query("sum Age"))
    request.cells[0]["records"] = 3       # a forged, smaller claim than what was added
    assert evaluate(request, CRTDecryptor(sk), min_records=1).rows[0]["refused"]


def test_mismatched_contributions_are_refused(keys):
    pk, _ = keys
    other_pk, _ = generate_keypair(512)
    a = contributions(pk, frames(1, 6))[0]
    b = contributions(other_pk, frames(1, 6))[0]
    with pytest.raises(CryptoError, match="cannot be combined"):
        build_request([a, b], parse_query("sum Age"))
    c = contributions(pk, frames(1, 6), {**SECTION, "expected_records": 50})[0]
    with pytest.raises(CryptoError, match="different settings"):
        build_request([a, c], parse_query("sum Age"))
    with pytest.raises(InputError, match="not an encrypted column"):
        build_request([a], parse_query("sum Gender"))
    with pytest.raises(InputError, match="no plaintext column"):
        build_request([a], parse_query("sum Age by Ward"))


def test_values_outside_declared_range_are_refused(keys):
    df = frames(1, 5)[0]
    df.loc[df.index[0], "Billing Amount"] = 2e6
    with pytest.raises(CryptoError, match="outside the declared range"):
        encrypt_columns(df, SECTION, keys[0], workers=1)


def test_query_text_forms():
    q = parse_query("MEAN Billing Amount by Medical Condition, Gender where Age >= 40 and "
                    "Admission Type = 'Urgent'")
    assert q.stats == [("mean", "Billing Amount")]
    assert q.by == ["Medical Condition", "Gender"]
    assert q.where == [("Age", ">=", 40), ("Admission Type", "=", "Urgent")]
    assert parse_query(q.describe().replace("'", "")).to_dict()["stats"] == q.to_dict()["stats"]
    with pytest.raises(InputError, match="Unknown statistic"):
        parse_query("median Age")


def test_decrypted_cells_also_open_with_phe(keys):
    pk, sk = keys
    request = build_request(contributions(pk, frames(1, 10)), parse_query("sum Age"))
    raw = sk.raw_decrypt(int(request.array.ciphertexts[0]))
    assert raw == CRTDecryptor(sk).decrypt_raw(request.array.ciphertexts)[0]
    assert isinstance(pk, phe.PaillierPublicKey) and not math.isnan(raw)


def test_forged_requests_are_refused_cleanly(keys):
    pk, sk = keys
    request = build_request(contributions(pk, frames(1, 10)), parse_query("sum Age"))
    request.query.stats = [("sum", "Weight")]
    with pytest.raises(InputError, match="do not hold"):
        evaluate(request, CRTDecryptor(sk))
    files = build_request(contributions(pk, frames(1, 10)), parse_query("sum Age")).to_files()
    import json
    doc = json.loads(files["he_request.json"])
    doc["cells"][0]["records"] = "many"
    files["he_request.json"] = json.dumps(doc).encode()
    with pytest.raises(InputError, match="malformed"):
        DecryptionRequest.from_files(files)
    with pytest.raises(CryptoError, match="not the key held here"):
        evaluate(request, CRTDecryptor(generate_keypair(512)[1]))
