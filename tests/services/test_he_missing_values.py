"""Single-key aggregation: attacks that use records *without a value*. The minimum-records rule
and the differencing record counted records; with missing values, five records can hold one
value, and the requester knows its own.

Each test builds its own small cell (a medical condition no generated record has) from
releases the hospitals make for it, so the key holder's differencing record of one test does
not meet another's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import PASSPHRASE
from ppds_desktop.core.he.aggregate import combine, evaluate
from ppds_desktop.core.he.decrypt import CRTDecryptor
from ppds_desktop.core.he.keyring import private_key_for
from ppds_desktop.core.he.query import parse_query
from ppds_desktop.demo import he_scenario
from ppds_desktop.demo.he_scenario import ENCRYPTED_COLUMNS, PLAINTEXT_COLUMNS
from ppds_desktop.services import he

VICTIM_BILL = 4321.09


@pytest.fixture(scope="module")
def sc(tmp_path_factory):
    scenario = he_scenario.build(tmp_path_factory.mktemp("miss"), PASSPHRASE, rows=10)
    yield scenario
    scenario.close()


def table(condition: str, bills, gender="Female", kinds=None) -> pd.DataFrame:
    n = len(bills)
    return pd.DataFrame({"Medical Condition": [condition] * n, "Gender": [gender] * n,
                         "Admission Type": kinds or ["Urgent"] * n,
                         "Date of Admission": ["2024-01-01"] * n,
                         "Billing Amount": bills, "Age": [50] * n})[PLAINTEXT_COLUMNS
                                                                    + ENCRYPTED_COLUMNS]


def released(sc, who, df, tag):
    """``who`` (a hospital, or the collector) releases ``df`` encrypted for the key holder (a
    hospital seals it for the collector and the key holder); the collector's contribution."""
    from ppds_desktop.core.recipe import new_recipe
    from ppds_desktop.services import release, sharing

    key = he.list_keys(sc.key_holder.vault)[0].fingerprint
    section = he_scenario.encryption_section("Key holder", key, 10_000)
    dataset = who.vault.put_dataset(f"{who.name} {tag}", df)
    outcome = release.run_release(who.vault, dataset.name,
                                  new_recipe(name=f"release {tag}", encryption=section))
    info = release.save_release(who.vault, outcome, f"{who.name} {tag} release",
                                accept_risk=True)
    if who is sc.collector:
        return he.contribution_from_release(who.vault, info.name)
    path = sc.workdir / f"{who.name}-{tag}.ppdsb"
    sharing.seal_for_contacts(who.vault, info.name, ["Collector", "Key holder"], path,
                              accept_risk=True)
    return he.contribution_from_bundle(sc.collector.vault, path)


def ask(sc, contributions, query, tag, **kwargs):
    request = he.compute_request(sc.collector.vault, contributions, query, accept_risk=True)
    path = sc.workdir / f"request-{tag}.ppdsb"
    he.send_request(sc.collector.vault, request, path)
    received, _sender = he.open_request(sc.key_holder.vault, path)
    return he.answer_request(sc.key_holder.vault, received, min_records=5, **kwargs).rows[0]


def test_requester_cannot_subtract_its_own_values_from_a_cell_with_one_other_value(sc):
    """The collector's own 10 bills plus a hospital's 5 records, 4 without a bill: 5 records
    from another site, 11 values — and the sum minus the collector's known bills is the one
    patient's bill."""
    own = released(sc, sc.collector, table("Rare A", [100.0] * 10), "a")
    victim = released(sc, sc.hospitals[0],
                      table("Rare A", [VICTIM_BILL] + [np.nan] * 4, gender="Male"), "a")
    row = ask(sc, [own, victim], "sum Billing Amount where Medical Condition = Rare A", "a")
    leaked = row["values"].get("sum Billing Amount")
    assert leaked is None, f"answered: {leaked} − 1000 = the patient's bill {VICTIM_BILL}"
    assert row["refused"] == ("refused: fewer than 5 records with a value from sites other than "
                              "the requester")


def test_two_cells_differing_by_five_records_but_one_value_are_not_both_answered(sc):
    """A = 5 records of hospital V (one bill) + 10 of hospital W; B = W's 10 alone: five
    records apart, one bill apart."""
    v = released(sc, sc.hospitals[0], table("Rare B", [VICTIM_BILL] + [np.nan] * 4), "b")
    w = released(sc, sc.hospitals[1], table("Rare B", [200.0] * 10), "b")
    query = "sum Billing Amount where Medical Condition = Rare B"
    first = ask(sc, [v, w], query, "b1")
    assert first["refused"] is None
    second = ask(sc, [w], query, "b2")                  # V's bundle is not in this request
    assert second["values"] == {}, "A − B is the patient's bill"
    assert second["refused"].startswith("refused: together with a cell asked exactly on ")
    assert "fewer than 5 values" in second["refused"]


def test_the_same_within_one_set_of_contributions(sc):
    v = released(sc, sc.hospitals[0],
                 table("Rare C", [VICTIM_BILL] + [np.nan] * 4, gender="Male"), "c")
    w = released(sc, sc.hospitals[1], table("Rare C", [300.0] * 10), "c")
    first = ask(sc, [v, w], "sum Billing Amount where Medical Condition = Rare C", "c1")
    assert first["refused"] is None
    second = ask(sc, [v, w], "sum Billing Amount where Medical Condition = Rare C and "
                             "Gender = Female", "c2")
    assert second["values"] == {} and "fewer than 5 values" in second["refused"]
    # five more records with five values: answered
    more = released(sc, sc.hospitals[2], table("Rare C", [50.0] * 5, gender="Male"), "c")
    third = ask(sc, [v, w, more], "sum Billing Amount where Medical Condition = Rare C", "c3")
    assert third["refused"] is None


def test_a_refusal_on_the_data_is_remembered_like_an_answer(sc):
    """X1 = four records with a bill and patient p; X2 = the same four and patient q. If X1 is
    refused for too few values and X2 answered, p has no bill (and q has one): so X1 is kept
    in the record and X2, one record apart from it, is refused on the record counts."""
    kinds = ["Urgent"] * 4 + ["Elective", "Emergency"]
    v = released(sc, sc.hospitals[0], table("Rare D", [10.0] * 4 + [np.nan, 20.0], kinds=kinds),
                 "d")
    x1 = ask(sc, [v], "sum Billing Amount where Medical Condition = Rare D and "
                      "Admission Type != Emergency", "d1")
    assert x1["refused"] == "refused: fewer than 5 records with a value"
    x2 = ask(sc, [v], "sum Billing Amount where Medical Condition = Rare D and "
                      "Admission Type != Elective", "d2")
    assert x2["values"] == {}, "X2 answered: patient p's bill is missing, q's is not"
    assert x2["refused"].startswith("refused: differs by only 1 record(s) from a cell asked "
                                    "exactly")


def test_with_noise_the_values_rule_is_decided_on_noisy_counts(sc):
    """An exact fact about the data must not decide a noisy answer: a cell with one value is
    answered when the noisy count reaches the minimum, and one with twenty is refused when it
    does not."""
    v = released(sc, sc.hospitals[0], table("Rare E", [VICTIM_BILL] + [np.nan] * 4), "e")
    w = released(sc, sc.hospitals[1], table("Rare F", [1.0] * 20), "e")
    decryptor = CRTDecryptor(private_key_for(sc.key_holder.vault, v.array.fingerprint))

    def shift(by):
        def noise(quantities, _sensitivities):
            return {k: [x + by if k.startswith("count:") else x for x in vs]
                    for k, vs in quantities.items()}
        return noise

    one = combine([v], parse_query("sum Billing Amount where Medical Condition = Rare E"))
    assert evaluate(one, decryptor, min_records=5, noise=shift(+10))[0]["refused"] is None
    many = combine([w], parse_query("sum Billing Amount where Medical Condition = Rare F"))
    row = evaluate(many, decryptor, min_records=5, noise=shift(-18))[0]
    assert row["refused"] == "refused: fewer than 5 records with a value (counted with the noise)"
    assert row["values"] == {}
