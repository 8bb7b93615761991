"""Sealed bid content at rest: canonical JSON, a SHA-256 receipt digest and AES-GCM.

Until a tender is opened, a bid's content must not be readable from a database dump
(``../shared/DESIGN.md``, "Tenders and sealed bids"). :func:`seal` turns a content dict into

- ``canonical``: the content serialised canonically (sorted keys, no spaces, UTF-8,
  ``Decimal`` as its string, dates as ISO 8601). Exactly these bytes are what was submitted.
  Kept only in memory: never store or log it before the opening.
- ``digest``: the hex SHA-256 of ``canonical``. This is what the bidder's receipt shows, and
  after the opening anyone entitled can recompute it from the unsealed content.
- ``ciphertext``: ``nonce (12 random bytes) || AES-256-GCM(canonical)``, with associated
  data (``aad``) naming where the ciphertext belongs, e.g. ``b"bid:123:quality"``. The
  same ``aad`` must be given to :func:`unseal`, so a ciphertext copied into another bid or
  envelope does not decrypt.

:func:`unseal` decrypts, checks the digest against the one on record and raises
:class:`TamperedError` for any mismatch; it never says which part of the content differed.

The digest is deterministic (the same content always gives the same digest), so for content
with few possible values (an envelope holding only a price) the stored digest lets anyone
with a database dump test guesses. Put a random value into such content, e.g.
``{"nonce": secrets.token_hex(16), ...}``, before sealing it.

Keys come from :func:`derive_key` (HKDF-SHA256 over a configured secret); changing that
secret makes every sealed bid unreadable, so the secret must outlive all open tenders.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # the size AES-GCM is designed for; random nonces are safe up to ~2**32 seals
TAG_BYTES = 16
DEFAULT_PURPOSE = "koepel.sealed-bids"


class TamperedError(Exception):
    """Sealed content cannot be trusted: wrong key, wrong context, altered bytes or digest.

    The message is safe to show and to log: it never contains any of the content.
    """

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message
            or "De verzegelde inhoud is gewijzigd of hoort niet bij deze inschrijving; "
            "hij kan niet worden geopend."
        )


@dataclass(frozen=True)
class Sealed:
    """The result of :func:`seal`. Store ``ciphertext`` and ``digest``, never ``canonical``."""

    ciphertext: bytes
    digest: str
    # repr=False keeps the plaintext out of tracebacks, debug output and log lines.
    canonical: bytes = field(repr=False, compare=False)


def _normalise(value: Any, path: str) -> Any:
    """Return ``value`` with only JSON types left; refuse what has no single canonical form.

    Errors name the position in the content (its keys), never a value.
    """
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        # A float is never money (see koepel.platform.money), and its text form is not
        # something a bidder typed. Refuse it rather than seal a rounding artefact.
        raise TypeError(f"float at {path} cannot be sealed; use Decimal or str")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"non-finite Decimal at {path} cannot be sealed")
        return str(value)
    if isinstance(value, date):  # datetime is a date subclass
        return value.isoformat()
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                # json.dumps would turn 1 into "1", so {1: …, "1": …} would not be canonical.
                raise TypeError(f"key of type {type(key).__name__} at {path}; keys must be str")
            out[key] = _normalise(item, f"{path}[{key!r}]")
        return out
    if isinstance(value, (list, tuple)):
        return [_normalise(item, f"{path}[{i}]") for i, item in enumerate(value)]
    raise TypeError(f"{type(value).__name__} at {path} cannot be sealed")


def canonical_json(content: dict[str, Any]) -> bytes:
    """Serialise ``content`` to its canonical UTF-8 bytes (what the digest is taken of).

    ``Decimal("12.50")`` becomes the JSON string ``"12.50"`` (so ``12.5`` and ``12.50`` are
    different content: quantize amounts before sealing); dates and datetimes become their
    ``isoformat()`` strings; tuples become lists. Floats, non-string keys and other types
    raise ``TypeError``.
    """
    if not isinstance(content, dict):
        raise TypeError(f"content must be a dict, not {type(content).__name__}")
    text = json.dumps(
        _normalise(content, "content"),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates; the error's own text would quote content
        raise ValueError("content contains text that is not valid Unicode") from None


def digest_of(canonical: bytes) -> str:
    """Hex SHA-256 of canonical bytes: the receipt digest."""
    return hashlib.sha256(canonical).hexdigest()


def _check_key(key: bytes) -> None:
    if not isinstance(key, bytes):
        raise TypeError(f"key must be bytes, not {type(key).__name__}")
    if len(key) != KEY_BYTES:
        raise ValueError(f"key must be {KEY_BYTES} bytes (use derive_key), not {len(key)}")


def _check_aad(aad: bytes) -> None:
    if not isinstance(aad, bytes):
        raise TypeError(f"aad must be bytes, not {type(aad).__name__}")
    if not aad:
        raise ValueError("aad must name the context, e.g. b'bid:123:quality'")


def seal(content: dict[str, Any], key: bytes, aad: bytes) -> Sealed:
    """Encrypt ``content`` for storage, bound to ``aad``; see the module docstring."""
    _check_key(key)
    _check_aad(aad)
    canonical = canonical_json(content)
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = nonce + AESGCM(key).encrypt(nonce, canonical, aad)
    return Sealed(ciphertext=ciphertext, digest=digest_of(canonical), canonical=canonical)


def unseal(ciphertext: bytes, key: bytes, aad: bytes, expected_digest: str) -> dict[str, Any]:
    """Decrypt sealed content and check it against the digest on record.

    Raises :class:`TamperedError` when the ciphertext was altered, belongs to another
    context (``aad``), was sealed with another key, or decrypts to content whose SHA-256 is
    not ``expected_digest``. Returns the content as parsed JSON: amounts and dates come back
    as the strings they were sealed as.
    """
    _check_key(key)
    _check_aad(aad)
    if not isinstance(ciphertext, bytes):
        raise TypeError(f"ciphertext must be bytes, not {type(ciphertext).__name__}")
    if not isinstance(expected_digest, str):
        raise TypeError(f"expected_digest must be str, not {type(expected_digest).__name__}")
    if len(ciphertext) < NONCE_BYTES + TAG_BYTES:
        raise TamperedError()
    nonce, body = ciphertext[:NONCE_BYTES], ciphertext[NONCE_BYTES:]
    try:
        plaintext = AESGCM(key).decrypt(nonce, body, aad)
    except InvalidTag:
        raise TamperedError() from None
    # Compare as bytes: compare_digest refuses non-ASCII str, and a receipt may be pasted in
    # upper case.
    if not hmac.compare_digest(
        digest_of(plaintext).encode("ascii"), expected_digest.strip().lower().encode("utf-8")
    ):
        raise TamperedError()
    try:
        content = json.loads(plaintext.decode("utf-8"))
    except ValueError:  # cannot happen for content sealed by seal(); never trust it anyway
        raise TamperedError() from None
    if not isinstance(content, dict):
        raise TamperedError()
    return content


def derive_key(secret: str, purpose: str = DEFAULT_PURPOSE) -> bytes:
    """A 32-byte key for ``purpose`` from a configured secret (HKDF-SHA256).

    The app passes ``SEALING_KEY`` (or falls back to ``SECRET_KEY``). Different purposes give
    independent keys from one secret.
    """
    if not isinstance(secret, str) or not secret:
        raise ValueError("a non-empty secret is needed to derive the sealing key")
    if not isinstance(purpose, str) or not purpose:
        raise ValueError("purpose must be a non-empty string")
    hkdf = HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=purpose.encode("utf-8")
    )
    return hkdf.derive(secret.encode("utf-8"))


def new_secret() -> str:
    """A fresh secret for ``SEALING_KEY``: URL-safe base64 of 32 random bytes."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")
