"""Password hashing with argon2id (argon2-cffi's defaults follow RFC 9106)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
_hasher = PasswordHasher()
_DUMMY_HASH = ""


def configure(parameters: dict | None) -> None:
    """Set the argon2 cost (the test suite lowers it; production keeps the defaults).
    Hashes made with other parameters still verify and are upgraded at the next login."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher(**parameters) if parameters else PasswordHasher()
    # Verifying against this keeps the time for an unknown e-mail equal to a wrong
    # password, so response times do not tell which addresses have an account.
    _DUMMY_HASH = _hasher.hash("koepel-timing-equaliser")


configure(None)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)
