from django.db import connection

from portal.models import VendorAccount


def test_vendor_secrets_are_encrypted_at_rest(org):
    account = VendorAccount.objects.create(
        organization=org,
        vendor="solo",
        base_url="https://solo.example/",
        secrets={"api_key": "s3cr3t-value"},
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT secrets FROM portal_vendoraccount WHERE id = %s", [account.pk])
        stored = cursor.fetchone()[0]
    assert "s3cr3t-value" not in stored
    assert stored.startswith("gAAAA")  # a Fernet token
    assert VendorAccount.objects.get(pk=account.pk).secrets == {"api_key": "s3cr3t-value"}


def test_keys_rotate_old_rows_still_decrypt(org, settings):
    from cryptography.fernet import Fernet

    account = VendorAccount.objects.create(
        organization=org,
        vendor="impilo",
        base_url="https://impilo.example/",
        secrets={"token": "t"},
    )
    settings.FIELD_ENCRYPTION_KEYS = [
        Fernet.generate_key().decode(),
        *settings.FIELD_ENCRYPTION_KEYS,
    ]
    assert VendorAccount.objects.get(pk=account.pk).secrets == {"token": "t"}
