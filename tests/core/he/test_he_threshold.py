"""Threshold Paillier: known answers, properties over (t, n), forgeries, phe compatibility.

The decryption exponent is checked against an independent computation (CRT by hand), shares
against Lagrange interpolation written out here, plaintexts against phe's own encryption.
"""

from __future__ import annotations

import itertools
import json
import random
import threading

import gmpy2
import phe
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ppds_desktop.core.errors import Cancelled, CryptoError
from ppds_desktop.core.he import Encryptor, Layout, Slot, encrypt_rows, encrypt_vector
from ppds_desktop.core.he.threshold import (KeyShare, PartialDecryption, ThresholdDecryption,
                                            ThresholdKey, combine, deal, partial_decrypt,
                                            run_ceremony)
from ppds_desktop.core.he.threshold.combine import combine_shares, lagrange_at_zero
from ppds_desktop.core.he.threshold.partial import (CIPHERTEXTS_CHECK, DUPLICATE_CHECK,
                                                    FORMAT_CHECK, KEY_CHECK, check_partial)
from ppds_desktop.core.he.threshold.proof import (CIPHERTEXT_CHECK, VERIFICATION_KEY_CHECK,
                                                  Proof, combined_bases, prove, statement)
from ppds_desktop.core.he.threshold.safe_primes import is_safe_prime, safe_prime_pair
from ppds_desktop.core.he.threshold.transcript import Transcript, derive_ints
from ppds_desktop.core.progress import TaskState

from he_helpers import P256, Q256

# Tiny safe primes for hand-checkable known answers: 1019 = 2·509 + 1, 1187 = 2·593 + 1.
TINY_P, TINY_Q = 1019, 1187


def seeded(seed: int):
    return random.Random(seed).randrange


@pytest.fixture(scope="module")
def dealt():
    """3-of-5 with the fixed 512-bit modulus."""
    return deal(P256, Q256, 3, 5, operator="Test operator", rand=seeded(1))


@pytest.fixture(scope="module")
def other_key():
    return deal(P256, Q256, 3, 5, operator="Someone else", rand=seeded(2))


def raw_encrypt(n: int, m: int, r: int) -> int:
    """Paillier by the textbook formula, independent of the engine."""
    n2 = n * n
    return pow(1 + n, m, n2) * pow(r, n, n2) % n2


def test_safe_primes_in_test_are_safe():
    assert all(is_safe_prime(x) for x in (TINY_P, TINY_Q, P256, Q256))
    assert not is_safe_prime(TINY_P * TINY_Q) and not is_safe_prime(1021)


# -- known answers ---------------------------------------------------------------------------

def test_known_answer_tiny_key():
    ceremony = deal(TINY_P, TINY_Q, 2, 3, operator="KAT", rand=seeded(2024))
    key = ceremony.key
    n, n2 = TINY_P * TINY_Q, (TINY_P * TINY_Q) ** 2
    m = 509 * 593
    d = 148684302526                      # d ≡ 0 (mod p'q'), d ≡ 1 (mod n), by hand
    assert d % m == 0 and d % n == 1
    assert [int(s.secret) for s in ceremony.shares] == [249487574596, 350290846666, 86006269875]
    assert int(key.verification_base) == 328507744977
    assert [int(x) for x in key.verification_keys] == [1209836517393, 677859009843, 1171810758374]
    # Any two shares interpolate Δ·d at 0 modulo n·m (Lagrange written out here).
    delta = 6
    for i, j in itertools.combinations((1, 2, 3), 2):
        si, sj = ceremony.shares[i - 1].secret, ceremony.shares[j - 1].secret
        li, lj = delta * j // (j - i), delta * i // (i - j)
        assert (li * si + lj * sj) % (n * m) == delta * d % (n * m)
    c = raw_encrypt(n, 123456, 5)
    assert c == 800608862812
    answers = [partial_decrypt(s, [c], workers=1) for s in ceremony.shares]
    assert [int(a.partials[0]) for a in answers] == [302229638404, 1348419772868, 738868255422]
    for share, answer in zip(ceremony.shares, answers):
        assert answer.partials[0] == pow(c, 2 * delta * int(share.secret), n2)
    for pair in itertools.combinations(answers, 2):
        assert combine(key, [c], pair).plaintexts == [123456]


def test_dealt_key_is_an_ordinary_phe_key(dealt):
    key = dealt.key
    assert isinstance(key.public_key, phe.PaillierPublicKey)
    assert key.public_key.n == P256 * Q256 and key.public_key.g == key.public_key.n + 1
    assert key.delta == 120 and len(dealt.shares) == 5
    for share in dealt.shares:
        share.check()


def test_ceremony_drops_the_factors(dealt):
    """No number reachable from the ceremony's result is a factor of n, p', q' or d."""
    n = P256 * Q256
    m = (P256 - 1) // 2 * ((Q256 - 1) // 2)
    d = m * pow(m, -1, n)
    found = []

    def walk(obj, depth=0):
        if depth > 6:
            return
        if isinstance(obj, (int, type(gmpy2.mpz(0)))) and not isinstance(obj, bool):
            found.append(int(obj))
        elif isinstance(obj, (list, tuple)):
            for x in obj:
                walk(x, depth + 1)
        elif isinstance(obj, dict):
            for x in obj.values():
                walk(x, depth + 1)
        elif hasattr(obj, "__dict__") or hasattr(obj, "__dataclass_fields__"):
            for name in getattr(obj, "__dataclass_fields__", None) or vars(obj):
                walk(getattr(obj, name), depth + 1)

    walk(dealt)
    assert found
    secrets_ = {P256, Q256, (P256 - 1) // 2, (Q256 - 1) // 2, m, d}
    assert not secrets_ & set(found)
    assert all(gmpy2.gcd(x, n) in (1, n) for x in found if x)


# -- phe and the engine decrypt through the threshold path ------------------------------------

def test_phe_encrypts_under_the_split_key_and_the_threshold_path_decrypts(dealt):
    key = dealt.key
    values = [0, 1, -1, 42, -987654321, 2 ** 60, 3.25, -0.5]
    encrypted = [key.public_key.encrypt(v) for v in values]
    cts = [e.ciphertext(be_secure=False) for e in encrypted]
    answers = [partial_decrypt(dealt.shares[i], cts, workers=1) for i in (4, 0, 2)]
    raw = ThresholdDecryption(key, answers).decrypt_raw(cts)
    decoded = [phe.EncodedNumber(key.public_key, m, e.exponent).decode()
               for m, e in zip(raw, encrypted)]
    assert decoded == values


def test_fast_encryptor_ciphertexts_decrypt_through_the_decryptor_seam(dealt):
    key = dealt.key
    values = [round(x * 0.37 - 40, 2) for x in range(200)]
    with Encryptor(key.public_key, workers=1) as enc:
        vec = encrypt_vector(enc, values, scale=100, value_bits=16, max_additions=8)
        total = vec.add(vec)
        layout = Layout.for_additions([Slot("a", 12), Slot("b", 12)], 4)
        rows = encrypt_rows(enc, layout, [[1, -2, 3], [-4, 5, 6]]).total()
    answers = [partial_decrypt(dealt.shares[i], total.ciphertexts) for i in (1, 2, 3)]
    decryptor = ThresholdDecryption(key, answers)
    assert decryptor.public_key == key.public_key
    assert [round(v, 2) for v in total.decrypt_vector(decryptor)] == [round(2 * v, 2)
                                                                      for v in values]
    assert decryptor.used == (2, 3, 4) and decryptor.rejected == ()
    row_answers = [partial_decrypt(dealt.shares[i], rows.ciphertexts) for i in (0, 1, 4)]
    assert rows.decrypt_slots(ThresholdDecryption(key, row_answers)) == [[2, 7]]


# -- properties over (t, n) ------------------------------------------------------------------

def _deal(t: int, parties: int, seed: int):
    return deal(P256, Q256, t, parties, operator="Property test", rand=seeded(seed))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_t_valid_partials_decrypt_and_any_t_minus_one_do_not(data):
    parties = data.draw(st.integers(2, 7), label="parties")
    t = data.draw(st.integers(2, parties), label="threshold")
    ceremony = _deal(t, parties, data.draw(st.integers(0, 2 ** 32), label="seed"))
    key = ceremony.key
    n = key.n
    plain = [data.draw(st.integers(0, int(n) - 1), label="m") for _ in range(2)]
    cts = [raw_encrypt(int(n), m, 7 + i) for i, m in enumerate(plain)]
    holders = data.draw(st.permutations(range(1, parties + 1)), label="order")
    answers = {i: partial_decrypt(ceremony.shares[i - 1], cts, workers=1) for i in holders[:t]}
    result = combine(key, cts, list(answers.values()))
    assert result.plaintexts == plain and sorted(result.used) == sorted(holders[:t])
    fewer = list(answers.values())[:t - 1]
    with pytest.raises(CryptoError, match=f"Only {t - 1} valid partial decryptions of the {t}"):
        combine(key, cts, fewer)
    # Interpolating the t − 1 partials as if they were enough does not give the plaintext.
    indices = [a.index for a in fewer]
    lam = lagrange_at_zero(indices, key.delta)
    n2 = key.nsquare
    for j, m in enumerate(plain):
        c_prime = 1
        for a in fewer:
            c_prime = c_prime * pow(int(a.partials[j]), 2 * lam[a.index], int(n2)) % int(n2)
        got = (c_prime - 1) // int(n) * pow(4 * key.delta ** 2, -1, int(n)) % int(n)
        assert (c_prime - 1) % int(n) != 0 or got != m


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_forged_partial_is_named_and_left_out(data):
    parties = data.draw(st.integers(3, 6), label="parties")
    t = data.draw(st.integers(2, parties - 1), label="threshold")
    ceremony = _deal(t, parties, data.draw(st.integers(0, 2 ** 32), label="seed"))
    key = ceremony.key
    cts = [raw_encrypt(int(key.n), m, 11 + m) for m in (5, 6, 7)]
    answers = [partial_decrypt(s, cts, workers=1) for s in ceremony.shares[:t + 1]]
    victim = data.draw(st.integers(0, t), label="forger")
    position = data.draw(st.integers(0, 2), label="which ciphertext")
    forged = list(answers[victim].partials)
    forged[position] = forged[position] * 4 % key.nsquare      # a wrong but valid-looking value
    answers[victim] = PartialDecryption(key.key_id, answers[victim].index,
                                        answers[victim].ciphertext_digest, tuple(forged),
                                        answers[victim].proof)
    result = combine(key, cts, answers)
    assert result.plaintexts == [5, 6, 7]
    assert [(r.index, r.check) for r in result.rejected] == [(victim + 1, CIPHERTEXT_CHECK)]
    assert f"Key-share holder {victim + 1}" in result.rejected[0].message
    assert victim + 1 not in result.used
    with pytest.raises(CryptoError, match=f"Key-share holder {victim + 1}: its answer fails"):
        combine(key, cts, answers[:t] if victim < t else answers[1:t] + [answers[victim]])


def test_holder_using_a_wrong_share_fails_the_verification_key_check(dealt):
    key = dealt.key
    cts = [raw_encrypt(int(key.n), 9, 3)]
    wrong = KeyShare(key, 2, dealt.shares[1].secret + 1)         # consistent partials + proof
    answer = partial_decrypt(wrong, cts, workers=1)
    assert check_partial(key, cts, answer).check == VERIFICATION_KEY_CHECK


def test_answer_replayed_as_another_holder_or_for_other_ciphertexts_is_refused(dealt, other_key):
    key = dealt.key
    cts = [raw_encrypt(int(key.n), 9, 3), raw_encrypt(int(key.n), 10, 4)]
    good = partial_decrypt(dealt.shares[0], cts, workers=1)
    assert check_partial(key, cts, good) is None
    as_holder_2 = PartialDecryption(good.key_id, 2, good.ciphertext_digest, good.partials,
                                    good.proof)
    assert check_partial(key, cts, as_holder_2).check in (CIPHERTEXT_CHECK,
                                                          VERIFICATION_KEY_CHECK)
    assert check_partial(key, cts[::-1], good).check == CIPHERTEXTS_CHECK
    assert check_partial(other_key.key, cts, good).check == KEY_CHECK
    short = PartialDecryption(good.key_id, 1, good.ciphertext_digest, good.partials[:1],
                              good.proof)
    assert check_partial(key, cts, short).check == FORMAT_CHECK
    bad_z = PartialDecryption(good.key_id, 1, good.ciphertext_digest, good.partials,
                              Proof(good.proof.a, good.proof.b, good.proof.z + 1))
    assert check_partial(key, cts, bad_z).check == CIPHERTEXT_CHECK


def test_partials_that_cancel_in_the_old_combination_are_still_caught(dealt):
    """The batch coefficients are hashed from the partials themselves, so wrong partials chosen
    to cancel out under one set of coefficients meet a different set."""
    key = dealt.key
    share = dealt.shares[0]
    n2 = key.nsquare
    cts = [raw_encrypt(int(key.n), m, 5 + m) for m in (1, 2)]
    honest = partial_decrypt(share, cts, workers=1)
    seed = statement(key, 1, cts, honest.partials)
    e1, e2 = derive_ints(seed, "batch coefficients", 2, 128)
    y = gmpy2.mpz(3)
    forged = [honest.partials[0] * gmpy2.powmod(y, e2, n2) % n2,
              honest.partials[1] * gmpy2.invert(gmpy2.powmod(y, e1, n2), n2) % n2]
    # Under the honest coefficients the forgery is invisible ...
    u, w = combined_bases(key, seed, cts, honest.partials)
    u2 = gmpy2.powmod(cts[0], 4 * e1, n2) * gmpy2.powmod(cts[1], 4 * e2, n2) % n2
    w2 = gmpy2.powmod(forged[0], 2 * e1, n2) * gmpy2.powmod(forged[1], 2 * e2, n2) % n2
    assert (u2, w2) == (u, w)
    # ... but its own transcript gives other coefficients, and its proof fails.
    proof = prove(share, cts, forged)
    answer = PartialDecryption(key.key_id, 1, honest.ciphertext_digest, tuple(forged), proof)
    assert check_partial(key, cts, answer).check == CIPHERTEXT_CHECK


def test_second_answer_from_one_holder_is_named(dealt):
    key = dealt.key
    cts = [raw_encrypt(int(key.n), 77, 2)]
    answers = [partial_decrypt(dealt.shares[i], cts, workers=1) for i in (0, 0, 1, 2)]
    result = combine(key, cts, answers)
    assert result.plaintexts == [77] and result.used == (1, 2, 3)
    assert [(r.index, r.check) for r in result.rejected] == [(1, DUPLICATE_CHECK)]


def test_t_minus_one_shares_fit_every_secret():
    """Shamir hiding, shown on the tiny key: for any other secret there is a polynomial of the
    same degree through the same t − 1 shares, so those shares say nothing about d."""
    ceremony = deal(TINY_P, TINY_Q, 3, 4, operator="KAT", rand=seeded(5))
    n, m = TINY_P * TINY_Q, 509 * 593
    nm = n * m
    known = {1: int(ceremony.shares[0].secret), 3: int(ceremony.shares[2].secret)}
    for other_secret in (0, 1, 12345, nm - 1):
        points = {0: other_secret, **known}
        for x, y in known.items():
            value = 0
            for xi, yi in points.items():        # Lagrange through the three points, mod nm
                term = yi
                for xj in points:
                    if xj != xi:
                        term = term * (x - xj) * pow(xi - xj, -1, nm)
                value += term
            assert value % nm == y


def test_combination_of_wrong_number_of_holders_is_refused(dealt):
    with pytest.raises(CryptoError, match="Exactly 3"):
        combine_shares(dealt.key, {1: [2], 2: [3]})


# -- serialisation ---------------------------------------------------------------------------

def test_key_share_round_trip_and_refusals(dealt, other_key):
    share = dealt.shares[3]
    back = KeyShare.from_bytes(share.to_bytes())
    assert back.index == 4 and back.secret == share.secret and back.key == dealt.key
    assert "secret" not in repr(share) and str(int(share.secret)) not in repr(share)
    body = json.loads(share.to_bytes())
    body["index"] = 3
    with pytest.raises(CryptoError, match="does not match its verification key"):
        KeyShare.from_bytes(json.dumps(body).encode())
    body = json.loads(share.to_bytes())
    body["key"] = other_key.key.to_dict()
    with pytest.raises(CryptoError, match="does not match its verification key"):
        KeyShare.from_bytes(json.dumps(body).encode())
    body = json.loads(share.to_bytes())
    body["version"] = 2
    with pytest.raises(CryptoError, match="version 2 is not supported"):
        KeyShare.from_bytes(json.dumps(body).encode())
    body = json.loads(share.to_bytes())
    body["key"]["threshold"] = 6
    with pytest.raises(CryptoError, match="6 of 5"):
        KeyShare.from_bytes(json.dumps(body).encode())
    with pytest.raises(CryptoError, match="not a key share"):
        KeyShare.from_bytes(b"\x80not json")


def test_threshold_key_round_trip_keeps_the_record(dealt):
    key = dealt.key
    back = ThresholdKey.from_dict(json.loads(json.dumps(key.to_dict())))
    assert back == key and back.key_id == key.key_id
    assert back.record.operator == "Test operator" and back.record.dealer == "trusted dealer"
    data = key.to_dict()
    data["verification_keys"] = data["verification_keys"][:-1]
    with pytest.raises(CryptoError, match="4 verification keys for 5"):
        ThresholdKey.from_dict(data)
    data = key.to_dict()
    data["ceremony"]["threshold"] = 2
    with pytest.raises(CryptoError, match="record does not match"):
        ThresholdKey.from_dict(data)
    data["ceremony"] = {"operator": "x"}
    with pytest.raises(CryptoError, match="record is malformed"):
        ThresholdKey.from_dict(data)


def test_partial_decryption_round_trip_and_refusals(dealt, other_key):
    key = dealt.key
    cts = [raw_encrypt(int(key.n), m, 3) for m in (1, 2, 3)]
    answer = partial_decrypt(dealt.shares[2], cts, workers=1)
    data = answer.to_bytes(key)
    back = PartialDecryption.from_bytes(data, key)
    assert back == answer and check_partial(key, cts, back) is None
    with pytest.raises(CryptoError, match="truncated"):
        PartialDecryption.from_bytes(data[:-1], key)
    with pytest.raises(CryptoError, match="another split key"):
        PartialDecryption.from_bytes(data, other_key.key)
    with pytest.raises(CryptoError, match="not a partial decryption"):
        PartialDecryption.from_bytes(b"PPDSHE1\n" + data[8:], key)


# -- ceremony, progress, Cancel --------------------------------------------------------------

def test_ceremony_makes_a_working_key_and_records_who_and_when():
    fractions = []
    ceremony = run_ceremony(2, 3, operator="  Dr. Ada Lovelace ", operator_fingerprint="ab12",
                            bits=512, workers=1, task=TaskState(lambda f, m: fractions.append(f)))
    record = ceremony.record
    assert (record.operator, record.operator_fingerprint) == ("Dr. Ada Lovelace", "ab12")
    assert record.created_utc.endswith("Z") and record.key_bits == 512
    assert (record.threshold, record.parties, record.dealer) == (2, 3, "trusted dealer")
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    cts = [ceremony.key.public_key.encrypt(31337).ciphertext(be_secure=False)]
    answers = [partial_decrypt(ceremony.shares[i], cts, workers=1) for i in (2, 0)]
    assert combine(ceremony.key, cts, answers).plaintexts == [31337]


def test_ceremony_refusals():
    with pytest.raises(CryptoError, match="name of the person"):
        run_ceremony(2, 3, operator=" ", bits=512)
    with pytest.raises(CryptoError, match="1 of 3"):
        run_ceremony(1, 3, operator="x", bits=512)
    with pytest.raises(CryptoError, match="not supported"):
        run_ceremony(2, 3, operator="x", bits=1000)
    with pytest.raises(CryptoError, match="two different safe primes"):
        deal(P256, P256, 2, 3, operator="x")
    with pytest.raises(CryptoError, match="two different safe primes"):
        deal(P256, Q256 + 2, 2, 3, operator="x")


@pytest.mark.slow
def test_safe_prime_search_in_two_workers_and_cancel():
    p, q = safe_prime_pair(512, workers=2)
    assert p != q and is_safe_prime(p) and is_safe_prime(q) and (p * q).bit_length() == 512
    cancel = threading.Event()
    with pytest.raises(Cancelled):
        safe_prime_pair(2048, workers=2, task=TaskState(lambda f, m: cancel.set(), cancel))


def test_cancel_stops_partial_decryption(dealt):
    cancel = threading.Event()
    cts = [raw_encrypt(int(dealt.key.n), 1, 3)] * 64

    def progress(fraction, message):
        cancel.set()

    with pytest.raises(Cancelled):
        partial_decrypt(dealt.shares[0], cts, workers=2, task=TaskState(progress, cancel))


def test_partial_decryption_on_two_threads_matches_one(dealt):
    cts = [raw_encrypt(int(dealt.key.n), m, 3 + m) for m in range(40)]
    one = partial_decrypt(dealt.shares[0], cts, workers=1)
    two = partial_decrypt(dealt.shares[0], cts, workers=2)
    assert one.partials == two.partials and check_partial(dealt.key, cts, two) is None


def test_invalid_ciphertext_is_refused_before_decrypting(dealt):
    with pytest.raises(CryptoError, match="Ciphertext 2 is not valid"):
        partial_decrypt(dealt.shares[0], [3, P256, 5], workers=1)


# -- transcript ------------------------------------------------------------------------------

def test_transcript_is_length_prefixed_and_domain_separated():
    assert Transcript("d").put("a", b"bc").digest() != Transcript("d").put("ab", b"c").digest()
    assert Transcript("d").put("a", b"").digest() != Transcript("e").put("a", b"").digest()
    assert (Transcript("d").put_ints("x", [1, 2], 2).digest()
            != Transcript("d").put_ints("x", [1], 2).put_ints("x", [2], 2).digest())
    a, b = derive_ints(b"seed", "c", 2, 128)
    assert a != b and a < 2 ** 128 and derive_ints(b"seed", "c", 2, 128) == [a, b]
