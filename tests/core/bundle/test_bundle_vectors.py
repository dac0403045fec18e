"""Known answers: the primitives exactly as the bundle uses them (Wycheproof, RFC 8032,
RFC 5869, RFC 9180), and the format-v1 test vector re-derived from first principles, with the
standard library and raw primitives instead of the bundle code, as an independent reader would
(BLAKE3 against the BLAKE3 team's published vectors)."""

from __future__ import annotations

import hashlib
import hmac
import json
import struct

import blake3
import pytest
from Crypto.Cipher import AES
from Crypto.Protocol import HPKE
from Crypto.Protocol.DH import import_x25519_private_key, import_x25519_public_key, key_agreement
from Crypto.PublicKey import ECC
from Crypto.Signature import eddsa

from ppds_desktop.core.bundle import MemorySink, open_bundle
from ppds_desktop.core.bundle import crypto
from ppds_desktop.core.identity.keys import KeyPairs

from conftest import REPO_ROOT

VECTORS = REPO_ROOT / "tests" / "vectors"


def _load(name: str):
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


# -- primitives ----------------------------------------------------------------------------------

@pytest.mark.parametrize("case", _load("wycheproof_aes256_gcm.json")["tests"],
                         ids=lambda c: f"tc{c['tcId']}")
def test_aes256_gcm_wycheproof(case):
    key, iv = bytes.fromhex(case["key"]), bytes.fromhex(case["iv"])
    aad, msg = bytes.fromhex(case["aad"]), bytes.fromhex(case["msg"])
    ct, tag = bytes.fromhex(case["ct"]), bytes.fromhex(case["tag"])
    cipher = AES.new(key, AES.MODE_GCM, nonce=iv, mac_len=16)
    cipher.update(aad)
    if case["result"] == "valid":
        assert cipher.encrypt_and_digest(msg) == (ct, tag)
    else:
        with pytest.raises(ValueError):
            cipher.decrypt_and_verify(ct, tag)


def test_stream_chunk_matches_plain_aes_gcm():
    key, plain = bytes(range(32)), b"chunk"
    nonce = (5).to_bytes(11, "big") + b"\x01"
    ct, tag = AES.new(key, AES.MODE_GCM, nonce=nonce).encrypt_and_digest(plain)
    assert crypto.seal_chunk(key, 5, True, plain) == ct + tag
    assert crypto.open_chunk(key, 5, False, ct + tag) is None


def _x25519(private: bytes, public: bytes) -> bytes:
    return key_agreement(static_priv=import_x25519_private_key(private),
                         eph_pub=import_x25519_public_key(public), kdf=lambda z: z)


def test_x25519_wycheproof():
    checked = 0
    for case in _load("wycheproof_x25519.json")["tests"]:
        private, public = bytes.fromhex(case["private"]), bytes.fromhex(case["public"])
        try:
            shared = _x25519(private, public)
        except ValueError:
            # Refusing is right for low-order / all-zero results, never for a valid case.
            assert case["result"] != "valid" or set(bytes.fromhex(case["shared"])) == {0}, case
            continue
        assert shared.hex() == case["shared"], case["tcId"]
        checked += 1
    assert checked > 400


def test_ed25519_wycheproof():
    for case in _load("wycheproof_ed25519.json")["tests"]:
        try:
            key = eddsa.import_public_key(bytes.fromhex(case["pk"]))
            eddsa.new(key, "rfc8032").verify(bytes.fromhex(case["msg"]), bytes.fromhex(case["sig"]))
            ok = True
        except ValueError:
            ok = False
        if case["result"] != "acceptable":  # "acceptable": either answer is allowed
            assert ok == (case["result"] == "valid"), case["tcId"]


RFC8032 = [  # RFC 8032 section 7.1, TEST 1, 2 and 3
    ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e3970"
     "1cf9b46bd25bf5f0595bbe24655141438e7a100b"),
    ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613"
     "d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
    ("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760"
     "984dc6594a7c15e9716ed28dc027beceea1ec40a"),
]


@pytest.mark.parametrize("seed,public,msg,sig", RFC8032)
def test_ed25519_rfc8032(seed, public, msg, sig):
    pairs = KeyPairs(bytes.fromhex(seed), bytes(32))
    assert pairs.sign_public.hex() == public
    assert pairs.sign(bytes.fromhex(msg)).hex() == sig


def _hkdf_reference(ikm: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    """RFC 5869 written out with the standard library only."""
    prk = hmac.new(salt or bytes(32), ikm, hashlib.sha256).digest()
    okm, block, i = b"", b"", 1
    while len(okm) < length:
        block = hmac.new(prk, block + info + bytes([i]), hashlib.sha256).digest()
        okm, i = okm + block, i + 1
    return okm[:length]


def test_hkdf_rfc5869_case1():
    okm = crypto.hkdf_sha256(bytes([0x0b] * 22), bytes(range(13)), bytes(range(0xf0, 0xfa)), 42)
    assert okm.hex() == ("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
                         "34007208d5b887185865")


def test_hkdf_wycheproof():
    for case in _load("wycheproof_hkdf_sha256.json")["tests"]:
        if case["result"] != "valid" or not case["salt"]:
            continue  # an empty salt is "no salt" in RFC 5869; the bundle always has one
        okm = crypto.hkdf_sha256(bytes.fromhex(case["ikm"]), bytes.fromhex(case["salt"]),
                                 bytes.fromhex(case["info"]), case["size"])
        assert okm.hex() == case["okm"], case["tcId"]


def test_hpke_rfc9180_base_x25519_sha256_aes256gcm():
    v = _load("hpke_x25519_sha256_aes256gcm_base.json")
    assert (v["mode"], v["kem_id"], v["kdf_id"], v["aead_id"]) == (0, 0x20, 1, 2)
    receiver = import_x25519_private_key(bytes.fromhex(v["skRm"]))
    assert receiver.public_key().export_key(format="raw").hex() == v["pkRm"]
    sender_ctx = crypto._FixedEphemeral(
        import_x25519_private_key(bytes.fromhex(v["skEm"])), receiver_key=receiver.public_key(),
        enc=None, sender_key=None, psk_pair=(b"", b""), info=bytes.fromhex(v["info"]),
        aead_id=HPKE.AEAD.AES256_GCM, mode=HPKE.MODE.BASE)
    assert sender_ctx.enc.hex() == v["enc"]
    receiver_ctx = HPKE.new(receiver_key=receiver, aead_id=HPKE.AEAD.AES256_GCM,
                            enc=bytes.fromhex(v["enc"]), info=bytes.fromhex(v["info"]))
    for enc in v["encryptions"]:
        pt, aad = bytes.fromhex(enc["pt"]), bytes.fromhex(enc["aad"])
        assert sender_ctx.seal(pt, aad).hex() == enc["ct"]
        assert receiver_ctx.unseal(bytes.fromhex(enc["ct"]), aad) == pt


def test_blake3_official_vectors():
    """The body hash (BLAKE3-256) against the BLAKE3 team's published test vectors."""
    cases = _load("blake3_hash.json")["cases"]
    pattern = bytes(range(251)) * (max(c["input_len"] for c in cases) // 251 + 1)
    for case in cases:
        data = pattern[:case["input_len"]]
        assert blake3.blake3(data).hexdigest() == case["hash"], case["input_len"]
        incremental = blake3.blake3()
        for start in range(0, len(data), 1000):
            incremental.update(memoryview(data)[start:start + 1000])
        assert incremental.hexdigest() == case["hash"]


# -- the format-v1 vector --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def vector():
    return _load("bundle_v1.json")


def test_deterministic_seal_reproduces_the_vector(tmp_path, vector):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_bundle_vector",
                                                  VECTORS / "make_bundle_vector.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.build(tmp_path) == vector


def test_vector_opens_with_the_library(tmp_path, vector):
    i = vector["inputs"]
    path = tmp_path / "v.ppdsb"
    path.write_bytes(bytes.fromhex(vector["bundle"]))
    keys = KeyPairs(bytes.fromhex(i["recipient_sign_seed"]), bytes.fromhex(i["recipient_enc_private"]))
    opened = open_bundle(path, keys=keys, sink=MemorySink())
    assert opened.result == {i["file_name"]: bytes.fromhex(i["file_data"])}


def test_vector_rederived_independently(vector):
    """Parse and verify the vector with struct, hashlib, hmac and raw primitives only."""
    i, d = vector["inputs"], vector["derived"]
    blob = bytes.fromhex(vector["bundle"])
    magic, version, suite, hlen = struct.unpack(">8sHHI", blob[:16])
    assert (magic, version, suite) == (b"PPDSBNDL", 1, 1)
    header = blob[:hlen]
    pos = 16
    bundle_id = header[pos:pos + 16]; pos += 16
    created = struct.unpack(">Q", header[pos:pos + 8])[0]; pos += 8
    klen = header[pos]; pos += 1
    kind = header[pos:pos + klen].decode(); pos += klen
    sign_pub, enc_pub = header[pos:pos + 32], header[pos + 32:pos + 64]; pos += 64
    count = struct.unpack(">H", header[pos:pos + 2])[0]; pos += 2
    key_id, enc, wrapped = header[pos:pos + 16], header[pos + 16:pos + 48], header[pos + 48:pos + 96]
    pos += 96
    mac = header[pos:pos + 32]
    assert pos + 32 == hlen and count == 1
    assert (bundle_id.hex(), created, kind) == (i["bundle_id"], i["created"], i["kind"])
    assert (sign_pub.hex(), enc_pub.hex()) == (d["sender_sign_public"], d["sender_enc_public"])

    recipient_priv = import_x25519_private_key(bytes.fromhex(i["recipient_enc_private"]))
    recipient_pub = recipient_priv.public_key().export_key(format="raw")
    assert key_id == hashlib.sha256(b"PPDS recipient id v1\x00" + recipient_pub).digest()[:16]

    context = b"PPDS-BUNDLE" + struct.pack(">HH", 1, 1)
    info = context + b"file-key" + bundle_id
    assert info.hex() == d["hpke_info"]
    file_key = HPKE.new(receiver_key=recipient_priv, aead_id=HPKE.AEAD.AES256_GCM, enc=enc,
                        info=info).unseal(wrapped)
    assert file_key.hex() == i["file_key"]

    payload_key = _hkdf_reference(file_key, bundle_id, context + b"payload", 32)
    mac_key = _hkdf_reference(file_key, bundle_id, context + b"header-mac", 32)
    assert (payload_key.hex(), mac_key.hex()) == (d["payload_key"], d["header_mac_key"])
    assert hmac.new(mac_key, header[:-32], hashlib.sha256).digest() == mac

    body = blob[hlen:-72]
    assert body[:16] == bundle_id
    chunk = body[16:]
    nonce = (0).to_bytes(11, "big") + b"\x01"
    plain = AES.new(payload_key, AES.MODE_GCM, nonce=nonce).decrypt_and_verify(chunk[:-16], chunk[-16:])
    assert plain[:8] == b"PPDSCTR1" and plain[8:9] == b"F"
    nlen = plain[9]
    name = plain[10:10 + nlen].decode("ascii")
    size = struct.unpack(">Q", plain[10 + nlen:18 + nlen])[0]
    data = plain[18 + nlen:18 + nlen + size]
    rest = plain[18 + nlen + size:]
    assert (name, data.hex()) == (i["file_name"], i["file_data"])
    assert rest[:1] == b"M"
    mlen = struct.unpack(">I", rest[1:5])[0]
    assert len(rest) == 5 + mlen
    manifest = json.loads(rest[5:])
    assert manifest["files"] == [{"name": i["file_name"], "size": len(data),
                                  "blake3": blake3.blake3(data).hexdigest()}]
    assert (manifest["bundle_id"], manifest["kind"], manifest["title"]) == (
        i["bundle_id"], "dataset", "test vector")

    assert blob[-72:-64] == b"PPDSSIG1"
    message = (b"PPDS bundle v1 signature\x00" + hashlib.sha256(header).digest()
               + blake3.blake3(body).digest())
    eddsa.new(eddsa.import_public_key(sign_pub), "rfc8032").verify(message, blob[-64:])
    seed_key = ECC.construct(curve="Ed25519", seed=bytes.fromhex(i["sender_sign_seed"]))
    assert seed_key.public_key().export_key(format="raw") == sign_pub


def test_fingerprint_and_card_rederived_independently(vector):
    d, card = vector["derived"], vector["sender_card"]
    sign_pub, enc_pub = bytes.fromhex(d["sender_sign_public"]), bytes.fromhex(d["sender_enc_public"])
    digest = hashlib.sha512(b"PPDS identity fingerprint v1\x00" + sign_pub + enc_pub).digest()
    groups = [f"{int.from_bytes(digest[5 * j:5 * j + 5], 'big') % 100000:05d}" for j in range(12)]
    assert " ".join(groups) == d["sender_fingerprint"]

    import base64

    assert base64.b64decode(card["keys"]["sign"]["public"]) == sign_pub
    unsigned = {k: v for k, v in card.items() if k != "signature"}
    canonical = json.dumps(unsigned, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    message = b"PPDS identity card v1\x00" + canonical.encode("ascii")
    eddsa.new(eddsa.import_public_key(sign_pub), "rfc8032").verify(
        message, base64.b64decode(card["signature"]))
    from ppds_desktop.core.identity import parse_card

    assert parse_card(json.dumps(card).encode()).fingerprint == d["sender_fingerprint"]
