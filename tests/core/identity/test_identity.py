"""Identities, identity cards, fingerprints and contacts (verification, key change)."""

from __future__ import annotations

import json

import pytest

from conftest import PASSPHRASE
from ppds_desktop.core.identity import (IdentityError, KeyChanged, KeyPairs, add_contact,
                                        create_identity, export_card, fingerprint,
                                        get_contact, list_contacts, load_identity, make_card,
                                        normalise_fingerprint, parse_card, remove_contact,
                                        rename_contact, set_card_extension, verify_contact)
from ppds_desktop.core.identity.card import CARD_SIGNATURE_LABEL, canonical_json


@pytest.fixture
def other_vault(tmp_path):
    from ppds_desktop.core.vault import Vault

    v, _ = Vault.create(tmp_path / "other" / "o.vault", PASSPHRASE)
    yield v
    v.lock()


def _card(name="Bob", org="General", pairs=None, identity_id="ab" * 16, **ext):
    return make_card(pairs or KeyPairs.generate(), identity_id=identity_id, display_name=name,
                     organisation=org, created_at="2026-01-01T00:00:00Z", extensions=ext)


def test_fingerprint_is_12_groups_of_5_digits_and_depends_on_both_keys():
    a = KeyPairs.generate()
    fp = a.fingerprint
    groups = fp.split(" ")
    assert len(groups) == 12 and all(len(g) == 5 and g.isdigit() for g in groups)
    assert fingerprint(a.sign_public, a.enc_public) == fp
    b = KeyPairs.generate()
    assert fingerprint(a.sign_public, b.enc_public) != fp
    assert fingerprint(b.sign_public, a.enc_public) != fp
    assert normalise_fingerprint(fp.replace(" ", "-")) == fp


def test_identity_lives_in_the_vault_and_survives_reopening(vault, vault_path):
    from ppds_desktop.core.vault import Vault

    ident = create_identity(vault, "Alice", "St Mary")
    vault.lock()
    again = Vault.open(vault_path, PASSPHRASE)
    try:
        loaded = load_identity(again)
        assert loaded.fingerprint == ident.fingerprint and loaded.identity_id == ident.identity_id
        with pytest.raises(IdentityError, match="already has an identity"):
            create_identity(again, "Alice 2")
    finally:
        again.lock()


def test_no_identity_is_a_clear_error(vault):
    with pytest.raises(IdentityError, match="no identity yet"):
        load_identity(vault)


def test_card_round_trip_with_extension(vault):
    ident = create_identity(vault, "Alice", "St Mary")
    set_card_extension(vault, "paillier", {"n": str(2 ** 2048 - 159), "bits": 2048})
    card = parse_card(export_card(vault).to_bytes())
    assert card.fingerprint == ident.fingerprint
    assert card.extensions == {"paillier": {"n": str(2 ** 2048 - 159), "bits": 2048}}
    # the signature covers the canonical form
    msg = CARD_SIGNATURE_LABEL + canonical_json({k: v for k, v in card.to_dict().items()
                                                 if k != "signature"})
    assert msg == card.signed_message()


@pytest.mark.parametrize("field,value,match", [
    ("display_name", "Mallory", "self-signature does not verify"),
    ("extensions", {"paillier": {"n": "77"}}, "self-signature does not verify"),
    ("version", 2, "version 2 is not supported"),
    ("type", "other", "not a PPDS identity card"),
    ("extra", 1, "unknown field"),
])
def test_tampered_cards_are_refused(field, value, match):
    obj = json.loads(_card().to_bytes())
    obj[field] = value
    with pytest.raises(IdentityError, match=match):
        parse_card(json.dumps(obj).encode())


def test_swapped_key_in_card_is_refused():
    obj = json.loads(_card().to_bytes())
    obj["keys"]["enc"]["public"] = json.loads(_card().to_bytes())["keys"]["enc"]["public"]
    with pytest.raises(IdentityError, match="self-signature"):
        parse_card(json.dumps(obj).encode())


def test_card_size_and_floats_are_bounded():
    with pytest.raises(IdentityError, match="too large"):
        parse_card(b" " * (64 * 1024 + 1))
    with pytest.raises(IdentityError, match="floating-point"):
        _card(paillier={"x": 1.5})
    with pytest.raises(IdentityError, match="not an identity card"):
        parse_card(b"\xff\xfe")


def test_contact_lifecycle(vault):
    create_identity(vault, "Alice")
    card = parse_card(_card().to_bytes())
    c = add_contact(vault, card)
    assert (c.name, c.verified, c.fingerprint) == ("Bob", False, card.fingerprint)
    with pytest.raises(IdentityError, match="does not match"):
        verify_contact(vault, "Bob", "0" * 60)
    assert not get_contact(vault, "Bob").verified
    assert verify_contact(vault, "Bob", card.fingerprint).verified
    assert rename_contact(vault, "Bob", "Dr Bob").name == "Dr Bob"
    assert get_contact(vault, card.fingerprint).name == "Dr Bob"
    # re-importing the same card keeps the verification
    assert add_contact(vault, card, name="Dr Bob").verified
    remove_contact(vault, "Dr Bob")
    assert list_contacts(vault) == []
    actions = [e.action for e in vault.audit_entries()]
    assert {"contact.add", "contact.verify", "contact.rename", "contact.remove"} <= set(actions)


def test_own_card_is_not_a_contact(vault):
    create_identity(vault, "Alice")
    with pytest.raises(IdentityError, match="your own identity card"):
        add_contact(vault, export_card(vault))


def test_key_change_is_refused_loudly_then_kept_when_accepted(vault):
    old = _card()
    add_contact(vault, old)
    verify_contact(vault, "Bob")
    new = _card()  # same identity id and name, new keys
    with pytest.raises(KeyChanged, match="KEY CHANGE.*NEW keys") as info:
        add_contact(vault, new)
    assert old.fingerprint in str(info.value) and new.fingerprint in str(info.value)
    assert get_contact(vault, "Bob").fingerprint == old.fingerprint
    c = add_contact(vault, new, accept_key_change=True)
    assert c.fingerprint == new.fingerprint and not c.verified
    assert c.previous[0]["fingerprint"] == old.fingerprint and c.previous[0]["was_verified"]


def test_two_vaults_see_the_same_fingerprint(vault, other_vault):
    alice = create_identity(vault, "Alice")
    create_identity(other_vault, "Bob")
    c = add_contact(other_vault, parse_card(export_card(vault).to_bytes()))
    assert c.fingerprint == alice.fingerprint


def test_same_name_with_other_identity_is_not_silently_merged(vault):
    add_contact(vault, _card(identity_id="ab" * 16))
    with pytest.raises(IdentityError, match="already exists with different keys"):
        add_contact(vault, _card(identity_id="cd" * 16))
    assert add_contact(vault, _card(identity_id="cd" * 16), name="Bob (Leeds)").name == "Bob (Leeds)"
