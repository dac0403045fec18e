"""The homomorphic engine, checked against phe as the independent reference."""

from __future__ import annotations

import subprocess
import sys
import threading
import types

import gmpy2
import phe
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ppds_desktop.core.errors import Cancelled, CryptoError
from ppds_desktop.core.he import (CRTDecryptor, Decryptor, EncryptedArray, Encryptor, Layout,
                                  Slot, encrypt_rows, encrypt_vector, fingerprint,
                                  generate_keypair, public_key_from_dict, public_key_to_dict)
from ppds_desktop.core.he import keys as he_keys
from ppds_desktop.core.he import serial
from ppds_desktop.core.he.encoding import pack_columns, unpack
from ppds_desktop.core.he.fixed_base import best_window
from ppds_desktop.core.he.multiexp import product_of_powers
from ppds_desktop.core.he.pool import spawn_problem, usable_workers
from ppds_desktop.core.progress import TaskState


@pytest.fixture(scope="session")
def key512():
    return generate_keypair(512)


@pytest.fixture(scope="session")
def key1024():
    return generate_keypair(1024)


@pytest.fixture(scope="session")
def enc512(key512):
    with Encryptor(key512[0], workers=1) as enc:
        yield enc


def phe_unpack(sk: phe.PaillierPrivateKey, c: int, widths: list[int]) -> list[int]:
    """The documented unpacking (encoding.py docstring), written out independently."""
    n = sk.public_key.n
    m = sk.raw_decrypt(int(c))
    if m > n // 2:
        m -= n
    out = []
    for w in widths:
        r = m % (1 << w)
        if r >= 1 << (w - 1):
            r -= 1 << w
        out.append(r)
        m = (m - r) // (1 << w)
    assert m == 0
    return out


def test_keys_are_phe_objects_and_travel_losslessly(key512):
    pk, sk = key512
    assert isinstance(pk, phe.PaillierPublicKey) and isinstance(sk, phe.PaillierPrivateKey)
    card = public_key_to_dict(pk)
    assert public_key_from_dict(card) == pk
    assert card["fingerprint"] == fingerprint(pk)
    restored = he_keys.private_key_from_bytes(he_keys.private_key_to_bytes(sk))
    assert restored == sk and restored.public_key == pk


def test_altered_public_key_is_refused(key512, key1024):
    card = public_key_to_dict(key512[0])
    card["n"] = public_key_to_dict(key1024[0])["n"]
    with pytest.raises(CryptoError, match="fingerprint"):
        public_key_from_dict(card)


def test_signed_integers_decrypt_with_phe(key512, enc512):
    pk, sk = key512
    values = [0, 1, -1, 123456789, -987654321, pk.max_int, -pk.max_int]
    cts = enc512.encrypt_ints(values)
    for v, c in zip(values, cts):
        assert sk.decrypt(phe.EncryptedNumber(pk, int(c))) == v


def test_parallel_workers_encrypt_and_decrypt_correctly(key512):
    pk, sk = key512
    values = list(range(-250, 250))
    with Encryptor(pk, workers=2, parallel_min=1) as enc:
        cts = enc.encrypt_ints(values)
    assert [sk.decrypt(phe.EncryptedNumber(pk, int(c))) for c in cts] == values
    raw = CRTDecryptor(sk, workers=2).decrypt_raw(cts)
    assert raw == [sk.raw_decrypt(int(c)) for c in cts]


def test_equal_values_give_different_ciphertexts(enc512):
    cts = enc512.encrypt_ints([42] * 50)
    assert len(set(int(c) for c in cts)) == 50


def test_fixed_base_table_is_per_key(key512, key1024):
    with Encryptor(key512[0], workers=1) as a, Encryptor(key1024[0], workers=1) as b:
        a.encrypt_ints([1] * 100)
        b.encrypt_ints([1] * 100)
        assert a.table.modulus == key512[0].n ** 2
        assert b.table.modulus == key1024[0].n ** 2
        assert a.table is not b.table
        assert int(a.table.rows[0][1]) != int(b.table.rows[0][1])


def test_full_length_exponent_by_default_and_short_one_only_when_asked(key1024):
    assert Encryptor(key1024[0], workers=1).alpha_bits == 512
    assert Encryptor(key1024[0], workers=1, short_exponent_bits=320).alpha_bits == 320
    with pytest.raises(CryptoError, match="short randomizer exponent"):
        Encryptor(key1024[0], workers=1, short_exponent_bits=100)


def test_packed_values_decrypt_with_phe_raw_decrypt(key1024):
    pk, sk = key1024
    layout = Layout.for_additions([Slot("a", 24, 100), Slot("b", 10), Slot("c", 48, 10000)], 16)
    cols = [[-8388607, 5, 0, 8388607], [511, -511, 0, 1], [-(2 ** 47 - 1), 3, 2 ** 47 - 1, 0]]
    with Encryptor(pk, workers=1) as enc:
        arr = encrypt_rows(enc, layout, cols)
    for row, c in enumerate(arr.ciphertexts):
        assert phe_unpack(sk, c, layout.widths) == [col[row] for col in cols]


def test_sums_at_headroom_limit_are_exact_and_one_more_is_refused(key1024):
    pk, sk = key1024
    layout = Layout.for_additions([Slot("x", 16), Slot("y", 16), Slot("z", 16)], 8)
    assert layout.capacity == 8
    extreme = 2 ** 15 - 1
    cols = [[extreme] * 9, [-extreme] * 9, [extreme - 1] * 9]
    with Encryptor(pk, workers=1) as enc:
        arr = encrypt_rows(enc, layout, cols)
    limit = arr.subset_sum(range(8))
    assert limit.additions == 8
    assert limit.decrypt_slots(CRTDecryptor(sk)) == [[8 * extreme, -8 * extreme, 8 * (extreme - 1)]]
    assert phe_unpack(sk, limit.ciphertexts[0], layout.widths) == [8 * extreme, -8 * extreme,
                                                                   8 * (extreme - 1)]
    with pytest.raises(CryptoError, match="headroom for 8"):
        arr.total()
    with pytest.raises(CryptoError, match="headroom"):
        limit.add(arr.subset_sum([8]))
    with pytest.raises(CryptoError, match="headroom"):
        arr.weighted_sum([9] + [0] * 8)


def test_encode_refuses_out_of_range_values(key512, enc512):
    layout = Layout.for_additions([Slot("x", 8)], 2)
    with pytest.raises(CryptoError, match="outside"):
        encrypt_rows(enc512, layout, [[128]])
    with pytest.raises(CryptoError, match="declared range"):
        encrypt_vector(enc512, [1.0, 2e9], scale=100, value_bits=20, max_additions=4)
    with pytest.raises(CryptoError, match="needs .* bits"):
        Layout.uniform(100, 32, 1, 4).check_fits(key512[0].n)
    with pytest.raises(CryptoError, match="at least 1"):       # before any packing
        encrypt_vector(enc512, [1.0], scale=100, value_bits=20, max_additions=0)


def test_vector_grouped_and_weighted_sums(key1024):
    pk, sk = key1024
    dec = CRTDecryptor(sk)
    assert isinstance(dec, Decryptor)
    values = [1.25, -2.5, 3.75, 100.0, -0.01] * 7
    with Encryptor(pk, workers=1) as enc:
        vec = encrypt_vector(enc, values, scale=100, value_bits=20, max_additions=4)
        assert len(vec) < len(values)  # packed
        assert vec.add(vec).decrypt_vector(dec) == pytest.approx([2 * v for v in values])
        layout = Layout.for_additions([Slot("x", 20, 100), Slot("count", 2)], 64)
        xs = [100, -250, 375, 1000, 5, 7]
        rows = encrypt_rows(enc, layout, [xs, [1] * 6])
    groups = rows.grouped_sums(["a", "b", "a", "c", "b", "a"])
    got = {k: g.decrypt_slots(dec)[0] for k, g in groups.items()}
    assert got == {"a": [100 + 375 + 7, 3], "b": [-250 + 5, 2], "c": [1000, 1]}
    assert groups["a"].additions == 3
    weighted = rows.weighted_sum([2, -3, 0, 1, 0, 5])
    assert weighted.decrypt_slots(dec) == [[200 + 750 + 1000 + 35, 2 - 3 + 1 + 5]]


def test_serialisation_round_trip_and_refusals(key512, key1024, enc512):
    pk, sk = key512
    layout = Layout.for_additions([Slot("x", 20, 100), Slot("count", 2)], 16)
    arr = encrypt_rows(enc512, layout, [[1, -2, 3], [1, 1, 1]]).add(
        encrypt_rows(enc512, layout, [[4, 5, 6], [1, 1, 1]]))
    data = serial.dumps(arr)
    assert len(data) - serial.read_header(data)["_body"] == 3 * 2 * 64  # fixed width, 2x key bytes
    back = serial.loads(data, pk, expect_layout=layout)
    assert back.additions == 2 and back.layout == layout
    assert [int(c) for c in back.ciphertexts] == [int(c) for c in arr.ciphertexts]
    assert back.decrypt_slots(CRTDecryptor(sk)) == [[5, 2], [3, 2], [9, 2]]
    with pytest.raises(CryptoError, match="for key"):
        serial.loads(data, key1024[0])
    other = Layout.for_additions([Slot("x", 20, 10), Slot("count", 2)], 16)
    with pytest.raises(CryptoError, match="scale or slot layout"):
        serial.loads(data, pk, expect_layout=other)
    with pytest.raises(CryptoError, match="should hold"):
        serial.loads(data[:-1], pk)
    with pytest.raises(CryptoError, match="unknown format"):
        serial.loads(b"garbage" * 3, pk)
    with pytest.raises(CryptoError, match="different scales"):
        arr.add(EncryptedArray(pk, other, list(arr.ciphertexts)))
    with pytest.raises(CryptoError, match="different keys"):
        arr.add(EncryptedArray(key1024[0], layout, list(arr.ciphertexts)))


def test_wrong_private_key_is_refused(key512, key1024, enc512):
    arr = encrypt_rows(enc512, Layout.for_additions([Slot("x", 8)], 1), [[3]])
    with pytest.raises(CryptoError, match="does not match"):
        arr.decrypt_slots(CRTDecryptor(key1024[1]))


def test_cancel_stops_parallel_encryption(key512):
    cancel = threading.Event()
    calls = []

    def progress(fraction, message):
        calls.append(fraction)
        cancel.set()

    with Encryptor(key512[0], workers=2, parallel_min=1) as enc:
        with pytest.raises(Cancelled):
            enc.encrypt_ints([1] * 4000, TaskState(progress, cancel))
    assert calls


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_packed_sums_match_plain_sums(key512, enc512, data):
    pk, sk = key512
    n_slots = data.draw(st.integers(1, 5))
    bits = data.draw(st.lists(st.integers(2, 40), min_size=n_slots, max_size=n_slots))
    additions = data.draw(st.integers(1, 12))
    layout = Layout.for_additions([Slot(f"s{i}", b) for i, b in enumerate(bits)], additions)
    rows = data.draw(st.integers(1, additions))
    cols = [data.draw(st.lists(st.integers(-(2 ** (b - 1)) + 1, 2 ** (b - 1) - 1),
                               min_size=rows, max_size=rows)) for b in bits]
    arr = encrypt_rows(enc512, layout, cols)
    total = arr.total()
    assert total.decrypt_slots(CRTDecryptor(sk)) == [[sum(c) for c in cols]]
    assert phe_unpack(sk, total.ciphertexts[0], layout.widths) == [sum(c) for c in cols]
    assert unpack(layout, [m % pk.n for m in pack_columns(layout, cols)], pk.n) == \
        [list(r) for r in zip(*cols)]
    assert isinstance(gmpy2.mpz(1), type(total.ciphertexts[0]))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_grouped_and_weighted_sums_match_plain(key512, enc512, data):
    _, sk = key512
    rows = data.draw(st.integers(1, 12))
    layout = Layout.for_additions([Slot("a", 20), Slot("b", 12)], 64)
    a = data.draw(st.lists(st.integers(-(2 ** 19) + 1, 2 ** 19 - 1), min_size=rows, max_size=rows))
    b = data.draw(st.lists(st.integers(-(2 ** 11) + 1, 2 ** 11 - 1), min_size=rows, max_size=rows))
    keys = data.draw(st.lists(st.sampled_from("xyz"), min_size=rows, max_size=rows))
    weights = data.draw(st.lists(st.integers(-8, 8), min_size=rows, max_size=rows))
    arr = encrypt_rows(enc512, layout, [a, b])
    dec = CRTDecryptor(sk)
    for k, g in arr.grouped_sums(keys).items():
        idx = [i for i, kk in enumerate(keys) if kk == k]
        assert g.decrypt_slots(dec) == [[sum(a[i] for i in idx), sum(b[i] for i in idx)]]
    if sum(abs(w) for w in weights) <= layout.capacity:
        assert arr.weighted_sum(weights).decrypt_slots(dec) == [
            [sum(w * x for w, x in zip(weights, a)), sum(w * x for w, x in zip(weights, b))]]
    else:
        with pytest.raises(CryptoError, match="headroom"):
            arr.weighted_sum(weights)


def test_small_batch_builds_no_big_table(key1024):
    """A few ciphertexts must not pay for a table sized for a million."""
    with Encryptor(key1024[0], workers=1) as enc:
        cts = enc.encrypt_ints([7] * 3)
        assert enc.table is None or enc.table.window <= 3
        assert [key1024[1].raw_decrypt(int(c)) for c in cts] == [7] * 3
        enc.encrypt_ints(list(range(2000)))
        assert enc.table.window >= 7


def test_best_window_grows_with_the_batch():
    assert best_window(1024, 1) is None
    windows = [best_window(1024, count) for count in (5, 50, 500, 5000, 50000)]
    assert windows == sorted(windows) and windows[0] <= 3 and windows[-1] >= 10


def test_engine_works_when_the_script_comes_from_stdin(key512, tmp_path):
    """``python -`` cannot start spawned workers (they re-import ``<stdin>``): the engine
    works in-process instead of failing."""
    pk, sk = key512
    script = (
        "import phe\n"
        "from ppds_desktop.core.he import CRTDecryptor, Encryptor\n"
        f"pk = phe.PaillierPublicKey({pk.n})\n"
        f"sk = phe.PaillierPrivateKey(pk, {sk.p}, {sk.q})\n"
        "with Encryptor(pk, workers=2) as enc:\n"
        "    cts = enc.encrypt_ints(list(range(500)))\n"
        "dec = CRTDecryptor(sk, workers=2)\n"
        "assert dec.decrypt_raw(cts) == list(range(500))\n"
        "print('workers', enc.workers)\n")
    done = subprocess.run([sys.executable, "-"], input=script, capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "workers 1"


def test_spawn_problem_is_seen_for_a_main_read_from_stdin(monkeypatch):
    fake = types.ModuleType("__main__")
    fake.__file__ = "<stdin>"
    monkeypatch.setitem(sys.modules, "__main__", fake)
    assert "not read from a file" in spawn_problem()
    assert usable_workers(2) == 1
    fake.__spec__ = types.SimpleNamespace(name="ppds_desktop.cli")
    assert spawn_problem() is None and usable_workers(2) == 2


@settings(max_examples=30, deadline=None)
@given(pairs=st.lists(st.tuples(st.integers(1, 2 ** 200), st.integers(0, 2 ** 130)),
                      min_size=0, max_size=80))
def test_product_of_powers_matches_separate_powers(pairs):
    modulus = 2 ** 521 - 1
    expected = 1
    for b, e in pairs:
        expected = expected * pow(b, e, modulus) % modulus
    assert product_of_powers([b for b, _ in pairs], [e for _, e in pairs], modulus) == expected
