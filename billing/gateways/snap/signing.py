"""SNAP's signatures (Bank Indonesia's Standar Nasional Open API Pembayaran, security section):

- The B2B access token request (``POST /v1.0/access-token/b2b``): ``X-SIGNATURE`` is SHA256withRSA
  (PKCS#1 v1.5) with the partner's private key over ``clientId + "|" + X-TIMESTAMP``, base64.
- Transaction requests: ``X-SIGNATURE`` is HMAC-SHA512 with the client secret over
  ``METHOD:path:accessToken:lowercase hex SHA-256 of the minified body:X-TIMESTAMP``, base64.
- The provider's notify callbacks: SHA256withRSA with the provider's private key over
  ``METHOD:path:lowercase hex SHA-256 of the minified body:X-TIMESTAMP``, base64; we verify it with
  the provider's public key.

``path`` is the relative URL as requested (with its query string, if any). Keys are loaded from PEM
files whose paths are settings: a key is never put in a setting, a log line or an error message."""

import base64
import binascii
import hashlib
import hmac
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def body_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def token_string(client_id: str, timestamp: str) -> bytes:
    return f"{client_id}|{timestamp}".encode()


def transaction_string(method: str, path: str, access_token: str, body: bytes, timestamp: str) -> bytes:
    return f"{method.upper()}:{path}:{access_token}:{body_digest(body)}:{timestamp}".encode()


def notify_string(method: str, path: str, body: bytes, timestamp: str) -> bytes:
    return f"{method.upper()}:{path}:{body_digest(body)}:{timestamp}".encode()


def rsa_sign(key: rsa.RSAPrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa_verify(key: rsa.RSAPublicKey, message: bytes, signature: str) -> bool:
    try:
        key.verify(base64.b64decode(signature, validate=True), message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def hmac_sign(secret: str, message: bytes) -> str:
    # hmac.digest: the one-shot C path, a third of hmac.new's cost (both ends sign every request).
    return base64.b64encode(hmac.digest(secret.encode(), message, "sha512")).decode()


def hmac_verify(secret: str, message: bytes, signature: str) -> bool:
    return hmac.compare_digest(hmac_sign(secret, message), signature)


def sign_token(key: rsa.RSAPrivateKey, client_id: str, timestamp: str) -> str:
    return rsa_sign(key, token_string(client_id, timestamp))


def sign_transaction(secret: str, method: str, path: str, access_token: str, body: bytes, timestamp: str) -> str:
    return hmac_sign(secret, transaction_string(method, path, access_token, body, timestamp))


def sign_notify(key: rsa.RSAPrivateKey, method: str, path: str, body: bytes, timestamp: str) -> str:
    return rsa_sign(key, notify_string(method, path, body, timestamp))


def load_private_key(path: str | Path) -> rsa.RSAPrivateKey:
    """An RSA private key from a PEM file (PKCS#8 or PKCS#1, unencrypted). The error names the file,
    never its content."""
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise ValueError(f"cannot read an RSA private key from {path}: {type(exc).__name__}") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError(f"{path} holds no RSA private key")
    return key


def load_public_key(path: str | Path) -> rsa.RSAPublicKey:
    try:
        key = serialization.load_pem_public_key(Path(path).read_bytes())
    except (OSError, ValueError, TypeError) as exc:
        raise ValueError(f"cannot read an RSA public key from {path}: {type(exc).__name__}") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError(f"{path} holds no RSA public key")
    return key


def write_key_pair(private_path: str | Path, public_path: str | Path, bits: int = 2048) -> None:
    """A new key pair in PEM files (for the simulator and tests; a real partner's key comes from its
    key ceremony). The private key's file is readable by its owner only."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    Path(private_path).write_bytes(private)
    Path(private_path).chmod(0o600)
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    Path(public_path).write_bytes(public)
