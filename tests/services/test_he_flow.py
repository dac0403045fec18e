"""Encrypted release columns, decryption requests and answers, across real vaults and bundles."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import phe
import pytest

from ppds_desktop.core.errors import CryptoError, InputError, RecipeError
from ppds_desktop.core.he import CRTDecryptor, generate_keypair
from ppds_desktop.core.he.aggregate import Contribution, DecryptionResult, combine, evaluate
from ppds_desktop.core.he.request import DecryptionRequest, build_request
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
    combination = combine(contributions(pk, dfs), query)
    rows = evaluate(combination, CRTDecryptor(sk), min_records=1)
    result = DecryptionResult("r", "now", query, "fp", combination.sources, 1, rows)
    result = DecryptionResult.from_files(result.to_files())             # travels as files
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
    combination = combine(contributions(pk, dfs), parse_query("mean Age by Medical Condition"))
    sizes = dfs[0]["Medical Condition"].value_counts()
    for row in evaluate(combination, CRTDecryptor(sk), min_records=8):
        n = sizes[row["group"]["Medical Condition"]]
        if n < 8:
            assert row["refused"] and row["values"] == {}
        else:
            assert row["refused"] is None and set(row["values"]) == {"mean Age"}


def test_requester_claims_are_checked_against_the_recomputation(keys):
    pk, _sk = keys
    contribs = contributions(pk, frames(1, 30))
    request = build_request(contribs, parse_query("sum Age"))
    request.cells[0]["records"] = 3       # a forged, smaller claim than what was added
    with pytest.raises(CryptoError, match="claims 3 records .* give 30"):
        request.verify(contribs)
    request = build_request(contribs, parse_query("sum Age"))
    request.array.ciphertexts[0] = request.array.ciphertexts[0] * contribs[0].array.ciphertexts[0]
    with pytest.raises(CryptoError, match="not the sum of the records"):
        request.verify(contribs)


def test_requester_records_do_not_count_towards_the_minimum(keys):
    pk, sk = keys
    contribs = contributions(pk, frames(2, 6))
    contribs[1].from_requester = True     # the asking site knows its own six values
    [row] = evaluate(combine(contribs, parse_query("sum Age")), CRTDecryptor(sk), min_records=8)
    assert row["refused"] == "refused: fewer than 8 records from sites other than the requester"
    [row] = evaluate(combine(contribs, parse_query("sum Age")), CRTDecryptor(sk), min_records=6)
    assert row["refused"] is None and row["records"] == 12


def test_mismatched_contributions_are_refused(keys):
    pk, _ = keys
    other_pk, _ = generate_keypair(512)
    a = contributions(pk, frames(1, 6))[0]
    b = contributions(other_pk, frames(1, 6))[0]
    with pytest.raises(CryptoError, match="cannot be combined"):
        combine([a, b], parse_query("sum Age"))
    c = contributions(pk, frames(1, 6), {**SECTION, "expected_records": 50})[0]
    with pytest.raises(CryptoError, match="different settings"):
        combine([a, c], parse_query("sum Age"))
    with pytest.raises(InputError, match="not an encrypted column"):
        combine([a], parse_query("sum Gender"))
    with pytest.raises(InputError, match="no plaintext column"):
        combine([a], parse_query("sum Age by Ward"))


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
    request = combine(contributions(pk, frames(1, 10)), parse_query("sum Age"))
    raw = sk.raw_decrypt(int(request.array.ciphertexts[0]))
    assert raw == CRTDecryptor(sk).decrypt_raw(request.array.ciphertexts)[0]
    assert isinstance(pk, phe.PaillierPublicKey) and not math.isnan(raw)


def test_forged_requests_are_refused_cleanly(keys):
    pk, sk = keys
    combination = combine(contributions(pk, frames(1, 10)), parse_query("sum Age"))
    combination.query.stats = [("sum", "Weight")]
    with pytest.raises(InputError, match="do not hold"):
        evaluate(combination, CRTDecryptor(sk))
    combination.query.stats = [("sum", "Age")]
    with pytest.raises(CryptoError, match="not the key held here"):
        evaluate(combination, CRTDecryptor(generate_keypair(512)[1]))


def test_a_release_with_summed_ciphertexts_is_not_a_contribution(keys):
    pk, _ = keys
    df = frames(1, 4)[0]
    arr = encrypt_columns(df, SECTION, pk, workers=1)
    with pytest.raises(CryptoError, match="claim 2 additions"):
        Contribution("site", df.drop(columns=arr.meta["columns"]), arr.derive(arr.ciphertexts, 2))
