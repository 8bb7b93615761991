import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from koepel.bids.sealing import (
    Sealed,
    TamperedError,
    canonical_json,
    derive_key,
    new_secret,
    seal,
    unseal,
)

KEY = derive_key("test-secret")
AAD = b"bid:123:quality"

CONTENT = {
    "bidder": "Zorgcoöperatie Elsendorp",
    "price": Decimal("12345.60"),
    "start": date(2027, 1, 1),
    "submitted": datetime(2026, 11, 23, 17, 40, 5, tzinfo=UTC),
    "plan": {"hours": 1200, "volunteers": ["Anna", "Bram"], "intake": True, "note": None},
}


def test_round_trip_with_decimal_and_date():
    sealed = seal(CONTENT, KEY, AAD)
    assert unseal(sealed.ciphertext, KEY, AAD, sealed.digest) == {
        "bidder": "Zorgcoöperatie Elsendorp",
        "price": "12345.60",  # the string it was sealed as, trailing zero kept
        "start": "2027-01-01",
        "submitted": "2026-11-23T17:40:05+00:00",
        "plan": {"hours": 1200, "volunteers": ["Anna", "Bram"], "intake": True, "note": None},
    }
    assert Decimal(unseal(sealed.ciphertext, KEY, AAD, sealed.digest)["price"]) == CONTENT["price"]


def test_canonical_form_is_exact():
    assert canonical_json({"b": Decimal("1.50"), "a": [date(2026, 1, 2), "é"]}) == (
        '{"a":["2026-01-02","é"],"b":"1.50"}'.encode()
    )


def test_digest_is_sha256_of_canonical_json_and_ignores_key_order():
    sealed = seal(CONTENT, KEY, AAD)
    expected = json.dumps(
        CONTENT, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()
    # default=str gives "2026-11-23 17:40:05+00:00" for a datetime; ours is isoformat.
    expected = expected.replace(b"2026-11-23 17:40:05", b"2026-11-23T17:40:05")
    assert sealed.canonical == expected
    assert sealed.digest == hashlib.sha256(expected).hexdigest()

    reordered = dict(reversed(list(CONTENT.items())))
    reordered["plan"] = dict(reversed(list(CONTENT["plan"].items())))
    assert list(reordered) != list(CONTENT)
    assert seal(reordered, KEY, AAD).digest == sealed.digest


def test_two_seals_differ_in_ciphertext_but_not_in_digest():
    first, second = seal(CONTENT, KEY, AAD), seal(CONTENT, KEY, AAD)
    assert first.ciphertext != second.ciphertext
    assert first.ciphertext[:12] != second.ciphertext[:12]  # the nonce
    assert first.digest == second.digest
    assert unseal(second.ciphertext, KEY, AAD, first.digest)["bidder"] == CONTENT["bidder"]


def test_ciphertext_does_not_contain_the_plaintext():
    sealed = seal(CONTENT, KEY, AAD)
    for secret in ("Zorgcoöperatie Elsendorp", "Elsendorp", "12345.60", "volunteers"):
        assert secret.encode() not in sealed.ciphertext
    assert sealed.canonical not in sealed.ciphertext
    assert "Elsendorp" not in repr(sealed)  # repr shows no plaintext (logs, tracebacks)


def test_wrong_key_raises():
    sealed = seal(CONTENT, KEY, AAD)
    with pytest.raises(TamperedError):
        unseal(sealed.ciphertext, derive_key("another-secret"), AAD, sealed.digest)


@pytest.mark.parametrize("aad", [b"bid:124:quality", b"bid:123:price", b"bid:123:quality "])
def test_wrong_aad_raises(aad):
    sealed = seal(CONTENT, KEY, AAD)
    with pytest.raises(TamperedError):
        unseal(sealed.ciphertext, KEY, aad, sealed.digest)


@pytest.mark.parametrize("position", [0, 11, 12, 40, -1])  # nonce, body, tag
def test_flipped_byte_raises(position):
    sealed = seal(CONTENT, KEY, AAD)
    tampered = bytearray(sealed.ciphertext)
    tampered[position] ^= 0x01
    with pytest.raises(TamperedError):
        unseal(bytes(tampered), KEY, AAD, sealed.digest)


@pytest.mark.parametrize("cut", [0, 10, 28])
def test_truncated_ciphertext_raises(cut):
    sealed = seal(CONTENT, KEY, AAD)
    with pytest.raises(TamperedError):
        unseal(sealed.ciphertext[:cut], KEY, AAD, sealed.digest)


def test_wrong_expected_digest_raises():
    sealed = seal(CONTENT, KEY, AAD)
    other = seal({**CONTENT, "price": Decimal("12345.61")}, KEY, AAD)
    for digest in (other.digest, "0" * 64, "", "é", sealed.digest[:-1]):
        with pytest.raises(TamperedError) as excinfo:
            unseal(sealed.ciphertext, KEY, AAD, digest)
        assert "Elsendorp" not in str(excinfo.value)


def test_digest_from_a_receipt_in_upper_case_is_accepted():
    sealed = seal(CONTENT, KEY, AAD)
    assert unseal(sealed.ciphertext, KEY, AAD, f" {sealed.digest.upper()} ")


def test_ciphertext_moved_to_another_envelope_raises_even_with_its_digest():
    price = seal({"price": Decimal("10.00")}, KEY, b"bid:1:price")
    with pytest.raises(TamperedError):
        unseal(price.ciphertext, KEY, b"bid:2:price", price.digest)


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ({"price": 12.5}, TypeError),  # float: never money
        ({"price": Decimal("NaN")}, ValueError),
        ({1: "a"}, TypeError),  # would collide with "1"
        ({"s": {1, 2}}, TypeError),
        ({"s": "\ud800"}, ValueError),  # lone surrogate
        (["not", "a", "dict"], TypeError),
    ],
)
def test_content_without_a_canonical_form_is_refused(content, error):
    with pytest.raises(error) as excinfo:
        seal(content, KEY, AAD)
    assert "12.5" not in str(excinfo.value)  # errors name positions, not values


def test_keys_and_aad_are_checked():
    with pytest.raises(ValueError):
        seal(CONTENT, b"short", AAD)
    with pytest.raises(TypeError):
        seal(CONTENT, "a" * 32, AAD)
    with pytest.raises(ValueError):
        seal(CONTENT, KEY, b"")


def test_derive_key():
    key = derive_key("s3cret")
    assert isinstance(key, bytes) and len(key) == 32
    assert derive_key("s3cret") == key
    assert derive_key("s3cret", purpose="other") != key
    assert derive_key("s3cret2") != key
    with pytest.raises(ValueError):
        derive_key("")


def test_new_secret():
    import base64

    first, second = new_secret(), new_secret()
    assert first != second
    assert len(base64.urlsafe_b64decode(first)) == 32
    assert len(derive_key(first)) == 32


def test_sealed_is_frozen():
    sealed = seal(CONTENT, KEY, AAD)
    assert isinstance(sealed, Sealed)
    with pytest.raises(AttributeError):
        sealed.digest = "x"
