"""Attacks by a dishonest site on the other sites' contributions, which every participant can
open: sending, as its own, ciphertexts made from theirs.

Without masks, a site D that sends the inverse of B's and C's ciphertexts (re-randomised, so no
byte repeats) makes the honest sum over A, B, C, D decrypt to A's statistics alone, although
every rule on the site set holds. Each contribution therefore carries its site's proof that it
knows what it encrypted (``core/he/plaintext_proof.py``), bound to the study, round and site."""

from __future__ import annotations

import gmpy2
import pytest

from ppds_desktop.core.he import Encryptor, plaintext_proof, serial
from ppds_desktop.core.he.keys import generate_keypair
from ppds_desktop.core.identity import load_identity
from ppds_desktop.core.study import protocol as msg
from ppds_desktop.core.study.payload import StudyStatistics
from ppds_desktop.services import study
from study_flow_helpers import definition_of, open_contribution, open_files, reseal
from test_study_flow import answers_for, contribute_all, refused
from test_study_flow import sc  # noqa: F401 (fixture)


def crafted(sc, site, paths, out, *, proof_from=None, copy=None):  # noqa: F811
    """``site``'s contribution whose ciphertexts are the inverse of the product of the
    contributions in ``paths``, re-randomised (or a copy of ``copy``'s), carrying the proof
    file of the contribution ``proof_from`` (None: no proof)."""
    vault = site.vault
    definition = definition_of(vault, sc.study_id)
    key = definition.key.public_key
    n2 = key.nsquare
    if copy is not None:
        cts = list(open_contribution(vault, copy, definition).ciphertexts)
    else:
        arrays = [open_contribution(vault, p, definition) for p in paths]
        with Encryptor(key, workers=1) as enc:
            zeros = enc.encrypt_ints([0] * len(arrays[0]))
        cts = []
        for j, zero in enumerate(zeros):
            prod = gmpy2.mpz(1)
            for a in arrays:
                prod = prod * a.ciphertexts[j] % n2
            cts.append(gmpy2.invert(prod, n2) * zero % n2)
    st = StudyStatistics.of(definition.spec, len(definition.sites), key.n.bit_length())
    array = open_contribution(vault, paths[0] if paths else copy, definition).derive(cts, 1)
    doc = msg.ContributionDoc(msg.Header(definition.study_id, definition.study_hash, 1),
                              load_identity(vault).fingerprint, definition.key.key_id,
                              st.shape.schema_id(definition.study_hash), False, {},
                              "2026-01-01T00:00:00Z")
    proof = None if proof_from is None else open_files(vault, proof_from)[msg.KNOWLEDGE_FILE]
    return reseal(vault, definition, msg.KIND_CONTRIBUTION,
                  doc.to_files(serial.dumps(array), proof), out)


@pytest.mark.parametrize("proof", ["none", "its own", "another site's"])
def test_a_site_cannot_cancel_two_others_to_leave_a_third_alone(sc, proof):  # noqa: F811
    a, b, c, d = sc.sites
    honest = contribute_all(sc, [a, b, c])
    own = contribute_all(sc, [d], tag="-own")[0]
    proof_from = {"none": None, "its own": own, "another site's": honest[1]}[proof]
    evil = crafted(sc, d, honest[1:3], sc.workdir / "evil.ppdsb", proof_from=proof_from)
    # D combines A, B, C and its own "contribution": four sites, every rule on the set holds
    files = honest + [evil]
    match = f"Contribution .* of {d.name} (carries no proof|fails the proof) that its site " \
            f"knows what it encrypted"
    refused(d.vault, sc.workdir, study.combine, sc.study_id, files, sc.workdir / "req.ppdsb",
            match=match)


def test_holders_refuse_the_cancelling_contribution_in_a_request(sc):  # noqa: F811
    """D builds the request itself; every holder re-checks each carried contribution."""
    from study_flow_helpers import forge_request

    a, b, c, d = sc.sites
    honest = contribute_all(sc, [a, b, c])
    evil = crafted(sc, d, honest[1:3], sc.workdir / "evil.ppdsb")
    request = forge_request(sc, d.vault, honest + [evil])
    for holder in [sc.coordinator, a, b]:
        refused(holder.vault, sc.workdir, study.answer, request, sc.workdir / "ans.ppdsb",
                match=f"{d.name} carries no proof that its site knows what it encrypted")


def test_a_site_cannot_send_another_sites_contribution_as_its_own(sc):  # noqa: F811
    a, b, c, d = sc.sites
    honest = contribute_all(sc, [a, b, c])
    copy = crafted(sc, d, [], sc.workdir / "copy.ppdsb", copy=honest[0], proof_from=honest[0])
    refused(d.vault, sc.workdir, study.combine, sc.study_id, honest + [copy],
            sc.workdir / "req.ppdsb", match=f"{d.name} fails the proof")


def test_the_proof_binds_its_ciphertexts_and_context_and_reveals_no_plaintext():
    pk, sk = generate_keypair(512)
    plain = [5, -3, 10 ** 20, 0]
    exps: list = []
    with Encryptor(pk, workers=1) as enc:
        cts = enc.encrypt_ints(plain, exponents=exps)
        proof = plaintext_proof.prove(pk, b"site A, round 1", cts, plain, enc.randomizer_root,
                                      exps)
    assert [sk.raw_decrypt(int(c)) for c in cts] == [m % pk.n for m in plain]
    assert plaintext_proof.verify(pk, b"site A, round 1", cts, proof)
    assert not plaintext_proof.verify(pk, b"site B, round 1", cts, proof)
    assert not plaintext_proof.verify(pk, b"site A, round 1", cts[::-1], proof)
    assert not plaintext_proof.verify(pk, b"site A, round 1", cts[:3], proof)
    n2 = pk.nsquare
    scaled = [c * c % n2 for c in cts]                 # 2·m, without knowing m
    assert not plaintext_proof.verify(pk, b"site A, round 1", scaled, proof)
    assert not plaintext_proof.verify(pk, b"site A, round 1", cts, proof[:-1])
    assert not plaintext_proof.verify(pk, b"site A, round 1", [0] + cts[1:], proof)
    # the proof's values are uniform whatever the plaintexts (z mod n, w a unit): another
    # proof of the same ciphertexts shares none of them
    with Encryptor(pk, workers=1) as enc:
        again = enc.encrypt_ints(plain, exponents=(exps2 := []))
        other = plaintext_proof.prove(pk, b"x", again, plain, enc.randomizer_root, exps2)
    width = (pk.n.bit_length() + 7) // 8
    assert proof[8 + 2 * width:] != other[8 + 2 * width:]


def test_encryption_in_worker_processes_lists_the_exponents_too():
    pk, _sk = generate_keypair(512)
    plain = list(range(450))
    exps: list = []
    with Encryptor(pk, workers=2, parallel_min=1) as enc:
        cts = enc.encrypt_ints(plain, exponents=exps)
        proof = plaintext_proof.prove(pk, b"c", cts, plain, enc.randomizer_root, exps)
    assert len(exps) == 450 and plaintext_proof.verify(pk, b"c", cts, proof)


def test_holders_refuse_the_set_that_lets_a_site_subtract_itself(sc):  # noqa: F811
    """Across real vaults: A+B+C answered, then B+C+D is refused (D would learn A, and A
    would learn D)."""
    a, d = sc.sites[0].name, sc.sites[3].name
    files = contribute_all(sc)
    abc = study.combine(sc.sites[0].vault, sc.study_id, files[:3], sc.workdir / "abc.ppdsb")
    answers_for(sc, abc.path, [sc.coordinator])
    bcd = study.combine(sc.sites[1].vault, sc.study_id, files[1:], sc.workdir / "bcd.ppdsb")
    refused(sc.coordinator.vault, sc.workdir, study.answer, bcd.path, sc.workdir / "a.ppdsb",
            match=f"contribution of ({a}|{d}) alone to ({a}|{d}), which knows its own "
                  f"contribution")
    assert study.review_request(sc.coordinator.vault, bcd.path).refusal

