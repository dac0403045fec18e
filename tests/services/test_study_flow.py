"""Multi-site studies across real vaults and bundles: the whole protocol, and every attack the
issue lists refused with its own message and nothing stored (services; the CLI run is in
test_study_cli.py). Keys are 512 bits here for speed (the format accepts them for tests only)."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest

from ppds_desktop.core.errors import BundleError, CryptoError, PPDSError
from ppds_desktop.core.he import Encryptor, serial
from ppds_desktop.core.identity import load_identity
from ppds_desktop.core.study import noise
from ppds_desktop.core.study import protocol as msg
from ppds_desktop.core.study.payload import StudyStatistics
from ppds_desktop.core.study.vector import VectorShape, encrypt, pack
from ppds_desktop.services import sharing, study, study_requests
from ppds_desktop.demo import study_scenario as scenario
from ppds_desktop.services.study import Refused

from conftest import PASSPHRASE
from study_flow_helpers import (MAPPING, assert_pooled_exactly, assert_pooled_within_noise,
                                definition_of, figure, forge_request, open_contribution, open_files,
                                pooled_reference, reseal)

DP = {"epsilon": 4.0, "delta": 1e-6, "honest_sites": 2}


@pytest.fixture
def sc(tmp_path):
    """Coordinator + 4 sites, 3 of 5 key-share holders (everyone), exact statistics."""
    s = scenario.build(tmp_path / "study", PASSPHRASE, sites=4, rows=120, bits=512)
    yield s
    s.close()


def contribute_all(sc, sites=None, tag="") -> list[Path]:
    out = []
    for site in sites or sc.sites:
        sent = study.contribute(site.vault, sc.study_id, "patients", MAPPING,
                                sc.workdir / f"{site.name}{tag}.contribution.ppdsb")
        out.append(sent.path)
    return out


def answers_for(sc, request: Path, holders, tag="") -> list[Path]:
    return [study.answer(h.vault, request, sc.workdir / f"answer-{h.name}{tag}.ppdsb").path
            for h in holders]


def snapshot(vault, folder: Path) -> tuple:
    """What a refusal must leave unchanged: every study table, releases, ledger, audit, files."""
    counts = tuple(vault._query(f"SELECT COUNT(*) FROM {t}")[0][0]
                   for t in ("studies", "study_messages", "study_decrypted", "releases", "ledger",
                             "secrets", "audit"))
    return counts, sorted(p.name for p in folder.iterdir())


def refused(vault, folder, fn, *args, match, error=Refused, **kwargs):
    before = snapshot(vault, folder)
    with pytest.raises(error, match=match) as info:
        fn(vault, *args, **kwargs)
    assert snapshot(vault, folder) == before, "a refusal stored or wrote something"
    assert "\n" not in str(info.value)
    return info.value


def run_study(sc, holders, finisher, tag=""):
    """Every site contributes, the first combines, ``holders`` answer, ``finisher`` finishes."""
    files = contribute_all(sc, tag=tag)
    request = study.combine(sc.sites[0].vault, sc.study_id, files,
                            sc.workdir / f"request{tag}.ppdsb")
    answers = answers_for(sc, request.path, holders, tag=tag)
    return files, request, study.finish(finisher.vault, request.path, answers,
                                        sc.workdir / f"result{tag}.ppdsb")


# -- the whole protocol ---------------------------------------------------------------------------

def test_five_vaults_give_the_pooled_figures_exactly(sc):
    files = contribute_all(sc)
    request = study.combine(sc.sites[0].vault, sc.study_id, files, sc.workdir / "request.ppdsb")
    review = study.review_request(sc.coordinator.vault, request.path)
    assert review.refusal is None and review.sites == [s.name for s in sc.sites]
    answers = answers_for(sc, request.path, [sc.coordinator, sc.sites[1], sc.sites[3]])
    result = study.finish(sc.sites[2].vault, request.path, answers, sc.workdir / "result.ppdsb")
    assert_pooled_exactly(result, sc)
    assert [name for _i, name in result.decrypted_by] == ["Coordinator", sc.sites[1].name,
                                                         sc.sites[3].name]
    assert any("Decrypted by key-share holders" in line for line in result.lines)
    # every participant re-checks the result (request, proofs, figures) and gets the same
    for party in [sc.coordinator, *sc.sites]:
        seen = study.open_result(party.vault, result.path)
        assert seen.figures == result.figures and seen.sites == result.sites


def test_with_noise_the_figures_are_within_the_stated_noise(tmp_path):
    sc = scenario.build(tmp_path / "dp", PASSPHRASE, sites=4, rows=3000, bits=512, dp=DP)
    try:
        for site in sc.sites:
            sc_budget = study.preview_contribution(site.vault, sc.study_id, "patients", MAPPING)
            assert sc_budget.epsilon == 4.0 and "ε = 4" in sc_budget.noise
        _files, _request, result = run_study(sc, sc.sites[:3], sc.coordinator)
        definition = definition_of(sc.coordinator.vault, sc.study_id)
        st = StudyStatistics.of(definition.spec, 4, 512)
        true = st.site(scenario.pooled(sc)).values
        sd = [math.sqrt(v) for v in noise.total_variances(st.plan, st.spec.dp, 4)]
        # every total carries the four shares: within 8 standard deviations (P > 1 − 10⁻¹⁴)
        assert all(abs(a - b) <= 8 * s for a, b, s in zip(result.sums, true, sd))
        assert result.sums != true                    # and the noise is really there
        assert_pooled_within_noise(result, sc)
        # each site's ledger was charged for its dataset
        for site in sc.sites:
            rows = site.vault._query("SELECT mechanism, rho FROM ledger")
            assert rows == [("study_noise_share", pytest.approx(noise.target_rho(st.spec.dp)))]
        assert any("charged ε = 4" in line for line in result.lines)
    finally:
        sc.close()


def test_pairwise_masks_cancel_in_the_full_sum_and_hide_a_single_site(tmp_path):
    sc = scenario.build(tmp_path / "masked", PASSPHRASE, sites=4, rows=100, bits=512,
                        masks=True)
    try:
        files, _request, result = run_study(sc, sc.sites[:3], sc.coordinator)
        ref = pooled_reference(sc)
        assert figure(result, "Mean of Age")["value"] == float(ref["Mean of Age"])
        # three sites only: refused by the aggregator's own check, and masks would not cancel
        refused(sc.sites[0].vault, sc.workdir, study.combine, sc.study_id, files[:3],
                sc.workdir / "three.ppdsb", match="leaves out Hillcrest University")
        # even all five holders together see only a masked value for one site
        definition = definition_of(sc.coordinator.vault, sc.study_id)
        one = open_contribution(sc.coordinator.vault, files[0], definition)
        shares = [study_requests._my_share(p.vault, definition, load_identity(p.vault))
                  for p in [sc.coordinator, *sc.sites[:2]]]
        from ppds_desktop.core.he.threshold import ThresholdDecryption, partial_decrypt
        raw = ThresholdDecryption(definition.key, [partial_decrypt(s, one.ciphertexts, workers=1)
                                                   for s in shares]).decrypt_raw(one.ciphertexts)
        n = definition.key.public_key.n
        assert all(x.bit_length() > n.bit_length() - 32 for x in raw)      # not small sums
    finally:
        sc.close()


# -- who can decrypt ------------------------------------------------------------------------------

def test_aggregator_and_fewer_than_t_holders_cannot_decrypt(sc):
    import itertools

    files = contribute_all(sc)
    request = study.combine(sc.sites[0].vault, sc.study_id, files, sc.workdir / "request.ppdsb")
    every = answers_for(sc, request.path, [sc.coordinator, *sc.sites])
    for pair in itertools.combinations(every, 2):           # any t − 1 = 2 of the 5 holders
        refused(sc.sites[0].vault, sc.workdir, study.finish, request.path, list(pair),
                sc.workdir / "result.ppdsb", error=CryptoError,
                match="Only 2 valid partial decryptions of the 3 needed; nothing was decrypted")


def test_a_holder_answering_twice(sc):
    files = contribute_all(sc)
    request = study.combine(sc.sites[0].vault, sc.study_id, files, sc.workdir / "request.ppdsb")
    first = answers_for(sc, request.path, [sc.sites[1]])
    refused(sc.sites[1].vault, sc.workdir, study.answer, request.path,
            sc.workdir / "again.ppdsb", match="answered request .* already; a key-share holder "
                                             "answers a request once")
    # the same holder's answer given twice counts once
    second = answers_for(sc, request.path, [sc.sites[2]])
    refused(sc.sites[0].vault, sc.workdir, study.finish, request.path, first + first + second,
            sc.workdir / "result.ppdsb", error=CryptoError,
            match="Only 2 valid .* Key-share holder 3: its answer is a second answer from the "
                  "same holder")


def test_a_partial_decryption_with_a_bad_proof_is_named_and_left_out(sc):
    files = contribute_all(sc)
    request = study.combine(sc.sites[0].vault, sc.study_id, files, sc.workdir / "request.ppdsb")
    good = answers_for(sc, request.path, [sc.coordinator, sc.sites[1], sc.sites[2]])
    # holder 5 (Site D) answers with one partial decryption changed, signed by itself
    vault = sc.sites[3].vault
    honest = study.answer(vault, request.path, sc.workdir / "honest-d.ppdsb").path
    files_d = open_files(vault, honest)
    doc = msg.AnswerDoc.from_files(files_d)
    definition = definition_of(vault, sc.study_id)
    from ppds_desktop.core.he.threshold import PartialDecryption
    partial = PartialDecryption.from_bytes(doc.partial, definition.key)
    n2 = definition.key.nsquare
    bad = dataclasses.replace(partial, partials=(partial.partials[0] * 4 % n2,)
                              + partial.partials[1:])
    forged = reseal(vault, definition, msg.KIND_ANSWER,
                    dataclasses.replace(doc, partial=bad.to_bytes(definition.key)).to_files(),
                    sc.workdir / "bad-d.ppdsb")
    result = study.finish(sc.sites[0].vault, request.path, [forged] + good,
                          sc.workdir / "result.ppdsb")
    assert result.left_out == [(5, "Key-share holder 5: its answer fails the proof's ciphertext "
                                   "check (its partial decryptions are not the ones its key "
                                   "share gives); it was left out.")]
    assert [i for i, _ in result.decrypted_by] == [1, 3, 4]
    refused(sc.sites[0].vault, sc.workdir, study.finish, request.path, [forged] + good[:2],
            sc.workdir / "result2.ppdsb", error=CryptoError,
            match="Only 2 valid partial decryptions .* Key-share holder 5: its answer fails the "
                  "proof's ciphertext check")


# -- bad contributions ---------------------------------------------------------------------------

def forged_contribution(vault, definition, path, *, header=None, key=None, shape=None,
                        doc_changes=None) -> Path:
    """A contribution sealed by ``vault`` with the given deviations from an honest one."""
    st = StudyStatistics.of(definition.spec, len(definition.sites), 512)
    shape = shape or st.shape
    public = key or definition.key.public_key
    with Encryptor(public, workers=1) as enc:
        array = encrypt(enc, shape, pack(shape, [1] * shape.length))
    me = load_identity(vault).fingerprint
    doc = msg.ContributionDoc(header or msg.Header(definition.study_id, definition.study_hash, 1),
                              me, definition.key.key_id, shape.schema_id(definition.study_hash),
                              False, {}, "2026-01-01T00:00:00Z")
    doc = dataclasses.replace(doc, **(doc_changes or {}))
    return reseal(vault, definition, msg.KIND_CONTRIBUTION, doc.to_files(serial.dumps(array)),
                  path)


def test_contribution_from_a_non_participant(sc, tmp_path):
    from ppds_desktop.core.vault import Vault

    outsider, _ = Vault.create(tmp_path / "outsider" / "o.vault", PASSPHRASE)
    try:
        sharing.init_identity(outsider, "Outsider")
        definition = definition_of(sc.coordinator.vault, sc.study_id)
        bad = forged_contribution(outsider, definition, sc.workdir / "outsider.ppdsb")
    finally:
        outsider.lock()
    files = contribute_all(sc, sc.sites[:3])
    refused(sc.sites[0].vault, sc.workdir, study.combine, sc.study_id, files + [bad],
            sc.workdir / "request.ppdsb",
            match="signed by someone who is not a participant of the study")


def test_contribution_for_another_study(sc):
    names = [s.name for s in sc.sites]
    other = study.create_study(sc.coordinator.vault, "Another study", sites=names,
                               holders=names, threshold=3, spec=scenario.spec())
    written = study.invite(sc.coordinator.vault, other.study_id, sc.workdir / "other",
                           bits=512) if (sc.workdir / "other").mkdir() is None else None
    for site, (_n, path) in zip(sc.sites, written.files):
        study.join(site.vault, path)
    wrong = study.contribute(sc.sites[3].vault, other.study_id, "patients", MAPPING,
                             sc.workdir / "other-study.ppdsb").path
    files = contribute_all(sc, sc.sites[:3])
    refused(sc.sites[0].vault, sc.workdir, study.combine, sc.study_id, files + [wrong],
            sc.workdir / "request.ppdsb", match="is for another study")


@pytest.mark.parametrize("how, match", [
    ("schema", "has another schema than the study's statistics"),
    ("key", "encrypted under another key than the study's split key"),
    ("hash", "made under another version of the study definition"),
])
def test_contribution_with_another_schema_key_or_definition(sc, how, match):
    site = sc.sites[3]
    definition = definition_of(site.vault, sc.study_id)
    kwargs = {}
    if how == "schema":
        st = StudyStatistics.of(definition.spec, 4, 512)
        kwargs["shape"] = VectorShape(st.shape.layout, st.shape.length - 1)
    elif how == "key":
        from ppds_desktop.core.he.keys import generate_keypair
        kwargs["key"] = generate_keypair(512)[0]
    else:
        kwargs["header"] = msg.Header(definition.study_id, "ab" * 32, 1)
    bad = forged_contribution(site.vault, definition, sc.workdir / "bad.ppdsb", **kwargs)
    files = contribute_all(sc, sc.sites[:3])
    refused(sc.sites[0].vault, sc.workdir, study.combine, sc.study_id, files + [bad],
            sc.workdir / "request.ppdsb", match=match)


def test_contribution_replayed_from_an_earlier_round(sc):
    old = contribute_all(sc)
    opening = study.new_round(sc.coordinator.vault, sc.study_id, sc.workdir / "round2.ppdsb")
    assert opening.round == 2
    for site in sc.sites:
        assert study.join(site.vault, sc.workdir / "round2.ppdsb").round == 2
    new = contribute_all(sc, sc.sites[1:], tag="-r2")
    refused(sc.sites[0].vault, sc.workdir, study.combine, sc.study_id, [old[0]] + new,
            sc.workdir / "request.ppdsb",
            match="belongs to round 1, not the current round 2: an earlier round's "
                  "contribution cannot be replayed")
    # a site contributes once per round
    refused(sc.sites[1].vault, sc.workdir, study.contribute, sc.study_id, "patients", MAPPING,
            sc.workdir / "twice.ppdsb", match="contributed to round 2 .* already")


def test_tampered_contribution(sc):
    files = contribute_all(sc)
    blob = bytearray(files[1].read_bytes())
    blob[len(blob) // 2] ^= 0x20
    files[1].write_bytes(bytes(blob))
    refused(sc.sites[0].vault, sc.workdir, study.combine, sc.study_id, files,
            sc.workdir / "request.ppdsb", error=BundleError, match="Riverside Memorial")


# -- bad requests (a dishonest aggregator) --------------------------------------------------------

def test_request_that_combines_a_different_set_than_it_names(sc):
    files = contribute_all(sc)
    forged = forge_request(sc, sc.sites[0].vault, files[:3], combined_from=[files[0], files[1],
                                                                            files[3]])
    refused(sc.coordinator.vault, sc.workdir, study.answer, forged, sc.workdir / "a.ppdsb",
            match="combines a different set than it names")


def test_request_that_scales_a_contribution(sc):
    files = contribute_all(sc)
    forged = forge_request(sc, sc.sites[0].vault, files, scale=(2, 3))
    refused(sc.coordinator.vault, sc.workdir, study.answer, forged, sc.workdir / "a.ppdsb",
            match="holds the contribution of Lakeview Community 3 times")


def test_request_that_repeats_a_contribution(sc):
    files = contribute_all(sc)
    forged = forge_request(sc, sc.sites[0].vault, [files[0], files[1], files[2], files[1]])
    refused(sc.coordinator.vault, sc.workdir, study.answer, forged, sc.workdir / "a.ppdsb",
            match="names the contribution of Riverside Memorial twice")


def test_request_for_one_site_is_refused_by_every_holder(sc):
    files = contribute_all(sc)
    forged = forge_request(sc, sc.sites[0].vault, files[1:2])
    for holder in [sc.coordinator, *sc.sites]:
        review = study.review_request(holder.vault, forged)
        assert "contribution of Riverside Memorial alone" in review.refusal
        refused(holder.vault, sc.workdir, study.answer, forged, sc.workdir / "a.ppdsb",
                match="contribution of Riverside Memorial alone; a single site's statistics "
                      "are never decrypted")


def test_request_that_differs_by_one_site_from_an_answered_one(sc):
    files = contribute_all(sc)
    full = study.combine(sc.sites[0].vault, sc.study_id, files, sc.workdir / "full.ppdsb")
    answers_for(sc, full.path, [sc.coordinator])
    less = study.combine(sc.sites[0].vault, sc.study_id, files[:3], sc.workdir / "less.ppdsb")
    refused(sc.coordinator.vault, sc.workdir, study.answer, less.path, sc.workdir / "a.ppdsb",
            match="would reveal the contribution of Hillcrest University alone")
    # a holder that answered neither learns of the decrypted set from the result
    more = answers_for(sc, full.path, sc.sites[:2])
    result = study.finish(sc.sites[0].vault, full.path,
                          [sc.workdir / "answer-Coordinator.ppdsb"] + more,
                          sc.workdir / "result.ppdsb")
    assert study.review_request(sc.sites[3].vault, less.path).refusal is None
    study.open_result(sc.sites[3].vault, result.path)
    assert "Hillcrest University alone" in study.review_request(sc.sites[3].vault,
                                                                less.path).refusal


def test_request_with_an_altered_combined_ciphertext(sc):
    files = contribute_all(sc)
    forged = forge_request(sc, sc.sites[0].vault, files, additions=3)
    refused(sc.coordinator.vault, sc.workdir, study.answer, forged, sc.workdir / "a.ppdsb",
            match="claims 3 contribution.* but names 4")


# -- invitations ----------------------------------------------------------------------------------

def test_invitation_with_an_altered_participant_list(tmp_path):
    sc = scenario.build(tmp_path / "inv", PASSPHRASE, sites=2, rows=30, bits=512, min_sites=2)
    try:
        # a late joiner: its own vault, introduced to the coordinator
        coordinator = sc.coordinator.vault
        names = [s.name for s in sc.sites]
        draft = study.create_study(coordinator, "Second", sites=names, holders=names,
                                   threshold=2, spec=scenario.spec(min_sites=2))
        out = sc.workdir / "second"
        out.mkdir()
        written = study.invite(coordinator, draft.study_id, out, bits=512)
        path = written.files[0][1]
        site = sc.sites[0].vault
        files = open_files(site, path)
        # 1. the participant list edited, the coordinator's signature kept, the bundle re-sealed
        #    (by the coordinator's own key, so only the definition's signature can tell)
        doc = files[msg.DEFINITION_FILE].replace(sc.sites[1].name.encode(), b"Evil Twin Clinic")
        altered = dict(files, **{msg.DEFINITION_FILE: doc})
        definition = definition_of(coordinator, draft.study_id)
        bad = sc.workdir / "altered.ppdsb"
        sharing.seal_for_keys(coordinator, kind=msg.KIND_INVITATION, title="x", files=altered,
                              recipients=[(p.name, p.fingerprint, p.enc_public) for p in
                                          definition.participants], out_path=bad)
        refused(site, sc.workdir, study.join, bad,
                match="participant list or another field was altered")
        # 2. a bit flipped in the invitation bundle
        blob = bytearray(path.read_bytes())
        blob[-200] ^= 1
        flipped = sc.workdir / "flipped.ppdsb"
        flipped.write_bytes(bytes(blob))
        refused(site, sc.workdir, study.join, flipped, error=BundleError, match="flipped.ppdsb")
        # the honest one joins
        assert study.join(site, path).study_id == draft.study_id
    finally:
        sc.close()


def test_invitation_listing_a_contact_with_other_keys(tmp_path):
    """The coordinator lists a participant under the name of one of the joiner's contacts but
    with other keys (an impostor's card it was given): the joiner refuses."""
    sc = scenario.build(tmp_path / "keys", PASSPHRASE, sites=2, rows=30, bits=512, min_sites=2)
    try:
        coordinator, site_a = sc.coordinator.vault, sc.sites[0].vault
        real_name = sc.sites[1].name
        from ppds_desktop.core.vault import Vault

        impostor, _ = Vault.create(tmp_path / "imp" / "i.vault", PASSPHRASE)
        sharing.init_identity(impostor, real_name, real_name)
        card = sharing.export_identity_card(impostor, tmp_path / "imp.ppdsid")
        sharing.remove_contact(coordinator, real_name)
        sharing.import_contact_card(coordinator, card, name=real_name)
        sharing.verify_contact(coordinator, real_name, load_identity(impostor).fingerprint)
        impostor.lock()
        # Site A knows the real one
        real = sharing.export_identity_card(sc.sites[1].vault, tmp_path / "real.ppdsid")
        sharing.import_contact_card(site_a, real, name=real_name)
        draft = study.create_study(coordinator, "Impostor", sites=[sc.sites[0].name, real_name],
                                   holders=[sc.sites[0].name], threshold=2,
                                   spec=scenario.spec(min_sites=2))
        out = sc.workdir / "imp"
        out.mkdir()
        written = study.invite(coordinator, draft.study_id, out, bits=512)
        invitation = dict(written.files)[sc.sites[0].name]
        assert study.preview_invitation is not None
        refused(site_a, sc.workdir, study.join, invitation,
                match=f"lists “{real_name}” with keys that differ from your contact")
    finally:
        sc.close()


def test_status_board_and_cli_values(sc):
    _files, request, result = run_study(sc, [sc.coordinator, sc.sites[1], sc.sites[2]],
                                        sc.sites[0])
    status = study.study_status(sc.sites[0].vault, sc.study_id)
    assert status.holds_share and status.study.my_roles == "site and key-share holder 2"
    assert [c[1] for c in status.contributed if c[2] == "received"] == [s.name for s in sc.sites]
    assert status.results == [(1, result.request_id, sc.sites[0].name,
                               ["Coordinator", sc.sites[1].name, sc.sites[2].name])]
    coordinator = study.study_status(sc.coordinator.vault, sc.study_id)
    assert sorted(coordinator.invited) == sorted(s.name for s in sc.sites)
    assert coordinator.answered == [(request.request_id, "Coordinator")]
    assert [i.title for i in study.list_studies(sc.coordinator.vault)] == ["Smoking and BMI"]


def test_every_refusal_is_a_ppds_error():
    assert issubclass(Refused, PPDSError)


def test_answers_for_another_request_or_another_share_are_named_and_left_out(sc):
    files = contribute_all(sc)
    request = study.combine(sc.sites[0].vault, sc.study_id, files, sc.workdir / "request.ppdsb")
    other = study.combine(sc.sites[0].vault, sc.study_id, files[:3] + files[3:],
                          sc.workdir / "other.ppdsb")
    good = answers_for(sc, request.path, [sc.coordinator, sc.sites[1], sc.sites[2]])
    stray = answers_for(sc, other.path, [sc.sites[3]], tag="-other")
    # Site A answers, then re-seals its answer claiming share 5 (which Site D holds)
    vault = sc.sites[0].vault
    mine = study.answer(vault, request.path, sc.workdir / "a.ppdsb").path
    doc = msg.AnswerDoc.from_files(open_files(vault, mine))
    claimed = reseal(vault, definition_of(vault, sc.study_id), msg.KIND_ANSWER,
                     dataclasses.replace(doc, holder=5).to_files(), sc.workdir / "claim.ppdsb")
    result = study.finish(sc.sites[0].vault, request.path, stray + [claimed] + good,
                          sc.workdir / "result.ppdsb")
    assert len(result.left_out) == 2
    assert any("another request" in why for _i, why in result.left_out)
    assert ("The answer signed by Northbrook General claims key share 5, which Northbrook "
            "General does not hold; it was left out.") in [why for _i, why in result.left_out]
    assert [i for i, _ in result.decrypted_by] == [1, 3, 4]


def test_a_request_reusing_a_decrypted_id_over_other_contributions(sc):
    """Site D saw request R decrypted (in its result); a request with R's id over other
    contributions must not slip past its differencing record."""
    files, request, result = run_study(sc, [sc.coordinator, sc.sites[1], sc.sites[2]],
                                       sc.sites[0])
    study.open_result(sc.sites[3].vault, result.path)
    vault = sc.sites[0].vault
    doc = msg.RequestDoc.from_files(open_files(vault, forge_request(sc, vault, files[:3])))
    doc.request_id = result.request_id
    same_id = reseal(vault, definition_of(vault, sc.study_id), msg.KIND_REQUEST, doc.to_files(),
                     sc.workdir / "same-id.ppdsb")
    refused(sc.sites[3].vault, sc.workdir, study.answer, same_id, sc.workdir / "x.ppdsb",
            match="reuses the id of a request decrypted on .* over other contributions")


def test_only_verified_contacts_take_part(sc, tmp_path):
    from ppds_desktop.core.vault import Vault

    stranger, _ = Vault.create(tmp_path / "s" / "s.vault", PASSPHRASE)
    sharing.init_identity(stranger, "Stranger")
    card = sharing.export_identity_card(stranger, tmp_path / "s.ppdsid")
    stranger.lock()
    sharing.import_contact_card(sc.coordinator.vault, card)
    refused(sc.coordinator.vault, sc.workdir, study.create_study, "X",
            sites=["Stranger", sc.sites[0].name], holders=[sc.sites[0].name], threshold=2,
            spec=scenario.spec(min_sites=2), error=study.StudyError,
            match="Only verified contacts take part in a study; compare fingerprints with "
                  "Stranger first")


def test_cancel_leaves_nothing(tmp_path):
    from ppds_desktop.core.errors import Cancelled
    from ppds_desktop.core.progress import TaskState

    sc = scenario.parties(tmp_path / "cancel", PASSPHRASE, sites=2, rows=30)
    try:
        names = [s.name for s in sc.sites]
        draft = study.create_study(sc.coordinator.vault, "C", sites=names, holders=names,
                                   threshold=2, spec=scenario.spec(min_sites=2))
        out = sc.workdir / "inv"
        out.mkdir()
        cancelled = TaskState()
        cancelled.cancel()
        refused(sc.coordinator.vault, out, study.invite, draft.study_id, out, bits=512,
                task=cancelled, error=Cancelled, match="Cancelled")
        written = study.invite(sc.coordinator.vault, draft.study_id, out, bits=512)
        for site, (_n, path) in zip(sc.sites, written.files):
            study.join(site.vault, path)
        refused(sc.sites[0].vault, sc.workdir, study.contribute, draft.study_id, "patients",
                MAPPING, sc.workdir / "c.ppdsb", task=cancelled, error=Cancelled,
                match="Cancelled")
    finally:
        sc.close()
