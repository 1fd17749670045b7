"""Solo's AES scheme (seed 003 "Context Aware Linking", DESIGN.md "Encryption")."""

import pytest

from appointments.crypto import SoloCryptoError, solo_decrypt, solo_decrypt_json, solo_encrypt
from tests.appointments import seed_examples as ex


def test_the_documents_linking_example_decrypts_with_its_secret():
    assert solo_decrypt(ex.LINKING_SECRET, ex.LINKING_EXAMPLE) == ex.LINKING_PLAIN


def test_encrypting_with_the_documents_salt_and_iv_gives_the_documents_string():
    import base64

    salt = base64.b64decode(ex.LINKING_EXAMPLE[:12])
    iv = base64.b64decode(ex.LINKING_EXAMPLE[12:36])
    assert solo_encrypt(ex.LINKING_SECRET, ex.LINKING_PLAIN, salt=salt, iv=iv) == ex.LINKING_EXAMPLE


def test_round_trip_uses_a_fresh_salt_and_iv_each_time():
    a = solo_encrypt("k", "hello")
    b = solo_encrypt("k", "hello")
    assert a != b
    assert solo_decrypt("k", a) == solo_decrypt("k", b) == "hello"


@pytest.mark.parametrize(
    "text", ["", "short", "!!!!" * 20, ex.LINKING_EXAMPLE[:-4], ex.LINKING_EXAMPLE + "AAAA"]
)
def test_garbage_is_refused(text):
    with pytest.raises(SoloCryptoError):
        solo_decrypt(ex.LINKING_SECRET, text)


def test_another_key_is_refused():
    with pytest.raises(SoloCryptoError):
        solo_decrypt_json("another secret", ex.LINKING_EXAMPLE)
