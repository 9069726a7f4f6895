"""Passwords: argon2id (argon2-cffi's defaults, RFC 9106's second recommended profile)."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from billing.errors import InvalidInput

_HASHER = PasswordHasher()
# Verified against when the login names no account, so that a wrong name takes as long as a wrong password.
_DUMMY = _HASHER.hash("not-a-real-password")
MIN_LENGTH = 12


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise InvalidInput(
            f"Kata sandi minimal {MIN_LENGTH} karakter. / The password needs at least {MIN_LENGTH} characters.",
            code="weak_password",
        )


def hash_password(password: str) -> str:
    check_strength(password)
    return _HASHER.hash(password)


def verify(stored: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _HASHER.check_needs_rehash(stored)
