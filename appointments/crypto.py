"""Solo's AES scheme, used for context-aware links and webhook payloads (seed 003, "Context
Aware Linking" / "Webhooks"; DESIGN.md "Encryption").

key = SHA-256(secret bytes + 8-byte salt); AES-256-CBC with PKCS#7 padding; the text is
base64(salt) (12 chars) + base64(iv) (24 chars) + base64(ciphertext). The linking secret and a
webhook's `encryptionKey` are both used as-is (the key string's bytes, not base64-decoded).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from portal.parsers import json_loads

SALT_BYTES = 8
IV_BYTES = 16
SALT_CHARS = 12  # base64 of 8 bytes
IV_CHARS = 24  # base64 of 16 bytes


class SoloCryptoError(ValueError):
    """The text is not a Solo-encrypted value for this secret (bad shape, key or padding)."""


def _key(secret: str, salt: bytes) -> bytes:
    return hashlib.sha256(secret.encode() + salt).digest()


def solo_encrypt(secret: str, plaintext: str, *, salt: bytes | None = None, iv=None) -> str:
    """Encrypt `plaintext` the way Solo does; a fresh random salt and IV unless given."""
    salt = salt if salt is not None else os.urandom(SALT_BYTES)
    iv = iv if iv is not None else os.urandom(IV_BYTES)
    if len(salt) != SALT_BYTES or len(iv) != IV_BYTES:
        raise ValueError("salt must be 8 bytes and iv 16 bytes")
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext.encode()) + padder.finalize()
    encryptor = Cipher(algorithms.AES(_key(secret, salt)), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(padded) + encryptor.finalize()
    return "".join(base64.b64encode(part).decode() for part in (salt, iv, ciphertext))


def solo_decrypt(secret: str, text: str) -> str:
    """The inverse of `solo_encrypt`; SoloCryptoError for anything that does not decrypt."""
    text = text.strip()
    if len(text) <= SALT_CHARS + IV_CHARS:
        raise SoloCryptoError("too short to be a Solo-encrypted value")
    try:
        salt = base64.b64decode(text[:SALT_CHARS], validate=True)
        iv = base64.b64decode(text[SALT_CHARS : SALT_CHARS + IV_CHARS], validate=True)
        ciphertext = base64.b64decode(text[SALT_CHARS + IV_CHARS :], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SoloCryptoError("not base64") from exc
    if len(salt) != SALT_BYTES or len(iv) != IV_BYTES or not ciphertext or len(ciphertext) % 16:
        raise SoloCryptoError("wrong salt, IV or ciphertext length")
    decryptor = Cipher(algorithms.AES(_key(secret, salt)), modes.CBC(iv)).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        plain = unpadder.update(padded) + unpadder.finalize()
        return plain.decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise SoloCryptoError("does not decrypt with this secret") from exc


def solo_encrypt_json(secret: str, value) -> str:
    return solo_encrypt(secret, json.dumps(value, separators=(",", ":")))


def solo_decrypt_json(secret: str, text: str):
    """Decrypt and parse (the portal's bounded JSON reader: a hostile payload nested 1,000
    deep is refused, not a RecursionError); SoloCryptoError when either step fails."""
    plain = solo_decrypt(secret, text)
    try:
        return json_loads(plain)
    except ValueError as exc:
        raise SoloCryptoError("decrypted text is not JSON") from exc
