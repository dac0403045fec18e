"""The study protocol's core: the signed definition, pairwise masks, and the key-share holder's
re-computation and rules (no vaults here; the services are tested in test_study_flow.py)."""

from __future__ import annotations

import dataclasses
import json
import random

import gmpy2
import pytest

from ppds_desktop.core.he import Encryptor
from ppds_desktop.core.he.encoding import Layout
from ppds_desktop.core.he.threshold import ThresholdDecryption, deal, partial_decrypt
from ppds_desktop.core.identity.keys import KeyPairs
from ppds_desktop.core.study import checks, masks
from ppds_desktop.core.study import protocol as msg
from ppds_desktop.core.study.definition import Participant, StudyDefinition
from ppds_desktop.core.study.errors import Refused, StudyError
from ppds_desktop.core.study.vector import VectorShape, encrypt, pack, values_of
from he_helpers import P256, Q256

SITES = 4


@pytest.fixture(scope="module")
def parties():
    """A coordinator (holder 1, not a site) and four sites that all hold shares: 3 of 5."""
    pairs = [KeyPairs.generate() for _ in range(SITES + 1)]
    people = [Participant("Coordinator" if i == 0 else f"Site {chr(64 + i)}", "Org", f"{i:032x}",
                          p.fingerprint, p.sign_public, p.enc_public, i > 0, i + 1)
              for i, p in enumerate(pairs)]
    return pairs, people


def definition_for(parties, *, masked=False, min_sites=2) -> StudyDefinition:
    pairs, people = parties
    draft = StudyDefinition.draft("Test study", people, coordinator=pairs[0].fingerprint,
                                  threshold=3, min_sites=min_sites, pairwise_masks=masked,
                                  spec={"any": "statistics"})
    ceremony = deal(P256, Q256, 3, 5, operator="Coordinator", rand=random.Random(7).randrange)
    return draft.with_key(ceremony.key), ceremony.shares


@pytest.fixture(scope="module")
def study(parties):
    return definition_for(parties)


SHAPE = VectorShape(Layout.uniform(4, 40, 1, SITES), 10)      # 10 values, 3 ciphertexts


def site_vector(i: int) -> list[int]:
    return [(i + 1) * 1000 + j for j in range(SHAPE.length)]


def contribution(definition, pairs, i, *, round_no=1, masked=False):
    """Site i's checked contribution (as a holder would have opened it)."""
    key = definition.key.public_key
    plaintexts = pack(SHAPE, site_vector(i))
    if masked:
        plaintexts = masks.apply_mask(plaintexts, masks.site_mask(definition, pairs[i], round_no,
                                                                  len(plaintexts)), key.n)
    with Encryptor(key, workers=1) as enc:
        array = encrypt(enc, SHAPE, plaintexts)
    site = definition.participant(pairs[i].fingerprint)
    doc = msg.ContributionDoc(msg.Header(definition.study_id, definition.study_hash, round_no),
                              site.fingerprint, definition.key.key_id,
                              SHAPE.schema_id(definition.study_hash), masked, {}, "now")
    return checks.CheckedContribution(site, f"{i:032x}", f"{i:064x}", doc, array, b"")


def request_for(definition, contributions, combined_cts=None, additions=None):
    named = [msg.Named(c.site.fingerprint, c.bundle_id, c.sha256, msg.contribution_file(k))
             for k, c in enumerate(contributions)]
    cts = combined_cts or checks.product([c.array for c in contributions])
    combined = contributions[0].array.derive(cts, additions or len(contributions))
    header = msg.Header(definition.study_id, definition.study_hash, 1)
    return msg.RequestDoc.new(header, definition.coordinator, named, b"", {}), combined


def decrypt(definition, shares, ciphertexts, holders=(1, 2, 3)):
    answers = [partial_decrypt(shares[h - 1], ciphertexts, workers=1) for h in holders]
    n = definition.key.public_key.n
    return values_of(SHAPE, ThresholdDecryption(definition.key, answers).decrypt_raw(ciphertexts),
                     n)


# -- the definition ---------------------------------------------------------------------------

def test_definition_round_trips_and_its_signature_covers_every_byte(parties, study):
    definition, _shares = study
    pairs, _people = parties
    signature = definition.sign(pairs[0])
    again = StudyDefinition.from_bytes(definition.to_bytes())
    again.verify(signature)
    assert again.study_hash == definition.study_hash and again.key.key_id == definition.key.key_id
    assert [p.roles for p in again.participants][:2] == ["key-share holder 1",
                                                         "site and key-share holder 2"]


def test_altered_participant_list_fails_the_coordinators_signature(parties, study):
    definition, _shares = study
    pairs, _people = parties
    signature = definition.sign(pairs[0])
    doc = json.loads(definition.to_bytes())
    intruder = KeyPairs.generate()
    doc["participants"][2].update(
        sign_public=Participant("x", "", "", "", intruder.sign_public, b"", True, None)
        .to_dict()["sign_public"],
        enc_public=Participant("x", "", "", "", b"", intruder.enc_public, True, None)
        .to_dict()["enc_public"],
        fingerprint=intruder.fingerprint)
    altered = StudyDefinition.from_bytes(json.dumps(doc).encode())
    with pytest.raises(Refused, match="participant list or another field was altered"):
        altered.verify(signature)


def test_a_participant_whose_fingerprint_is_not_its_keys_is_refused(study):
    definition, _shares = study
    doc = json.loads(definition.to_bytes())
    doc["participants"][1]["fingerprint"] = doc["participants"][2]["fingerprint"]
    with pytest.raises(Refused, match="fingerprint does not belong to its keys"):
        StudyDefinition.from_bytes(json.dumps(doc).encode())


@pytest.mark.parametrize("change, message", [
    (dict(threshold=1), "threshold must be at least 2"),
    (dict(min_sites=1), "minimum number of contributing sites must be at least 2"),
    (dict(min_sites=5), "at most the number of sites"),
])
def test_definition_rules(parties, change, message):
    pairs, people = parties
    args = dict(coordinator=pairs[0].fingerprint, threshold=3, min_sites=2, pairwise_masks=False,
                spec={})
    args.update(change)
    with pytest.raises(StudyError, match=message):
        StudyDefinition.draft("T", people, **args)


# -- masks --------------------------------------------------------------------------------------

def test_pair_secrets_agree_and_masks_cancel_only_over_all_sites(parties):
    pairs, _people = parties
    definition, _shares = definition_for(parties, masked=True)
    a, b = pairs[1], pairs[2]
    assert masks.pair_secret(definition, a, b.fingerprint) == \
        masks.pair_secret(definition, b, a.fingerprint)
    n = int(definition.key.public_key.n)
    all_masks = [masks.site_mask(definition, pairs[i], 1, 3) for i in range(1, SITES + 1)]
    assert [sum(col) % n for col in zip(*all_masks)] == [0, 0, 0]
    assert all(sum(col) % n != 0 for col in zip(*all_masks[:3]))
    # bound to the round: round 2's masks differ
    assert masks.site_mask(definition, pairs[1], 2, 3) != all_masks[0]


def test_masked_sum_decrypts_exactly_and_a_single_masked_site_is_noise(parties):
    pairs, _people = parties
    definition, shares = definition_for(parties, masked=True)
    contribs = [contribution(definition, pairs, i, masked=True) for i in range(1, SITES + 1)]
    total = decrypt(definition, shares, checks.product([c.array for c in contribs]))
    assert total == [sum(col) for col in zip(*(site_vector(i) for i in range(1, SITES + 1)))]
    # Even all holders together only see a uniform number for one site.
    n = int(definition.key.public_key.n)
    raw = ThresholdDecryption(definition.key, [partial_decrypt(shares[h], contribs[0].array
                                                               .ciphertexts, workers=1)
                                               for h in range(3)]) \
        .decrypt_raw(contribs[0].array.ciphertexts)
    assert all(x.bit_length() > n.bit_length() - 40 for x in raw)


# -- a contribution's checks ------------------------------------------------------------------

@pytest.mark.parametrize("change, message", [
    ("study", "for another study"),
    ("hash", "another version of the study definition"),
    ("round", "belongs to round 1, not round 2"),
    ("site", "claims to come from another site"),
    ("key", "encrypted under another key"),
    ("schema", "another schema"),
    ("sum", "sum of 2 vectors"),
    ("masked", "is masked, but the study does not use pairwise masks"),
])
def test_contribution_checks(parties, study, change, message):
    definition, _shares = study
    pairs, _people = parties
    c = contribution(definition, pairs, 1)
    doc, array, round_no = c.doc, c.array, 1
    if change == "study":
        doc = dataclasses.replace(doc, header=dataclasses.replace(doc.header, study_id="0" * 32))
    elif change == "hash":
        doc = dataclasses.replace(doc, header=dataclasses.replace(doc.header,
                                                                  study_hash="0" * 64))
    elif change == "round":
        round_no = 2
    elif change == "site":
        doc = dataclasses.replace(doc, site=pairs[2].fingerprint)
    elif change == "key":
        other = deal(P256, Q256, 3, 5, operator="x", rand=random.Random(9).randrange).key
        doc = dataclasses.replace(doc, key_id=other.key_id)
    elif change == "schema":
        doc = dataclasses.replace(doc, schema="0" * 64)
    elif change == "sum":
        array = array.add(array)
    elif change == "masked":
        doc = dataclasses.replace(doc, masked=True)
    with pytest.raises(Refused, match=message):
        checks.check_contribution(definition, SHAPE, c.site, doc, array, round_no=round_no)


def test_contribution_from_a_holder_that_is_not_a_site_is_refused(parties, study):
    definition, _shares = study
    pairs, _people = parties
    c = contribution(definition, pairs, 1)
    coordinator = definition.participant(pairs[0].fingerprint)
    with pytest.raises(Refused, match="not a site of this study"):
        checks.check_contribution(definition, SHAPE, coordinator, c.doc, c.array, round_no=1)


# -- re-computation -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def four(parties, study):
    definition, _shares = study
    pairs, _people = parties
    return [contribution(definition, pairs, i) for i in range(1, SITES + 1)]


def test_honest_request_recomputes_and_decrypts_to_the_pooled_sum(study, four):
    definition, shares = study
    request, combined = request_for(definition, four)
    ours = checks.recompute(request, combined, four)
    assert decrypt(definition, shares, ours) == [
        sum(col) for col in zip(*(site_vector(i) for i in range(1, SITES + 1)))]


def test_request_combining_a_different_set_than_it_names(study, four):
    definition, _shares = study
    _request, combined = request_for(definition, four[:3] + [four[0]])   # A, B, C, A
    request, _ = request_for(definition, four)                            # names A, B, C, D
    with pytest.raises(Refused, match="combines a different set than it names"):
        checks.recompute(request, combined, four)


def test_request_that_scales_a_contribution(study, four):
    definition, _shares = study
    n2 = gmpy2.mpz(definition.key.public_key.n) ** 2
    scaled = [c * a % n2 for c, a in zip(checks.product([c.array for c in four]),
                                         four[1].array.ciphertexts)]
    request, combined = request_for(definition, four, scaled)
    with pytest.raises(Refused, match="holds the contribution of Site B 2 times"):
        checks.recompute(request, combined, four)


def test_request_that_claims_other_additions(study, four):
    definition, _shares = study
    request, combined = request_for(definition, four, additions=3)
    with pytest.raises(Refused, match="claims 3 contribution.* but names 4"):
        checks.recompute(request, combined, four)


def test_request_that_names_a_contribution_twice(study, four):
    definition, _shares = study
    request, combined = request_for(definition, [four[0], four[1], four[0]])
    with pytest.raises(Refused, match="names the contribution of Site A twice"):
        checks.recompute(request, combined, [four[0], four[1], four[0]])


def test_request_with_two_contributions_of_one_site(parties, study, four):
    definition, _shares = study
    pairs, _people = parties
    again = dataclasses.replace(contribution(definition, pairs, 1), bundle_id="f" * 32)
    request, combined = request_for(definition, [four[0], again])
    with pytest.raises(Refused, match="two different contributions of Site A"):
        checks.recompute(request, combined, [four[0], again])


# -- the site set ---------------------------------------------------------------------------------

def test_site_set_rules(parties, study, four):
    definition, _shares = study
    with pytest.raises(Refused, match="contribution of Site A alone"):
        checks.check_site_set(definition, [four[0].site])
    strict = dataclasses.replace(definition, min_sites=3, _raw=None)
    with pytest.raises(Refused, match="combines 2 sites; this study decrypts sums over at least 3"):
        checks.check_site_set(strict, [four[0].site, four[1].site])
    masked, _ = definition_for(parties, masked=True)
    sites = [masked.participant(c.site.fingerprint) for c in four]
    with pytest.raises(Refused, match="leaves out Site D"):
        checks.check_site_set(masked, sites[:3])
    checks.check_site_set(masked, sites)


def sets(*groups, round_no=1):
    return [checks.DecryptedSet(f"r{k}", round_no, {s: f"b{s}" for s in g}, "2026-01-0%d" % (k + 1))
            for k, g in enumerate(groups)]


def test_differencing_by_one_site_is_refused(study):
    definition, _shares = study
    earlier = sets("ABC")
    assert "alone" in checks.differencing_refusal(definition, 1, {s: f"b{s}" for s in "AB"},
                                                  earlier)
    assert "alone" in checks.differencing_refusal(definition, 1,
                                                  {s: f"b{s}" for s in "ABCD"}, earlier)
    # the same set again, or one that differs by two sites, isolates nobody
    assert checks.differencing_refusal(definition, 1, {s: f"b{s}" for s in "ABC"}, earlier) is None
    assert checks.differencing_refusal(definition, 1, {s: f"b{s}" for s in "ABDE"}, earlier) \
        is None


def test_differencing_over_several_sets_is_refused(study):
    definition, _shares = study
    # (A+B) and (B+C) and (A+C) give each site: 2A = (A+B) + (A+C) − (B+C)
    earlier = sets("AB", "BC")
    reason = checks.differencing_refusal(definition, 1, {s: f"b{s}" for s in "AC"}, earlier)
    assert reason and "alone" in reason


def test_another_contribution_of_a_site_in_the_same_round_is_refused(study):
    definition, _shares = study
    earlier = sets("ABC")
    new = {"A": "other", "B": "bB", "C": "bC"}
    assert "different contribution" in checks.differencing_refusal(definition, 1, new, earlier)
    # in another round a new contribution is expected
    assert checks.differencing_refusal(definition, 2, new, earlier) is None
