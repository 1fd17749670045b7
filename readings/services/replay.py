"""Idempotency-Key: the first successful answer to a key is kept and replayed."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from readings.models import IngestionReplay


def ingestion_replay_find(*, organization, endpoint: str, key: str):
    return IngestionReplay.objects.filter(
        organization=organization, endpoint=endpoint, key=key
    ).first()


def ingestion_replay_claim(*, organization, endpoint: str, key: str, request_hash: str):
    """Claim `key` for this request before anything is written, inside the caller's
    transaction: the row's unique constraint lets one request hold it. On PostgreSQL a
    concurrent claim waits for the holder to commit (then fails) or roll back (then wins);
    SQLite serializes writers. Returns the claim, or None when another request committed one.
    (A look-up first, a write, and a remember-afterwards let 11–16 of 20 parallel twins with
    different bodies all store their reading.)"""
    try:
        with transaction.atomic():
            return IngestionReplay.objects.create(
                organization=organization,
                endpoint=endpoint,
                key=key,
                request_hash=request_hash,
                status_code=0,  # no one else sees this row until the answer is filled in
                response_body={},
            )
    except IntegrityError:
        return None


def ingestion_replay_complete(*, claim, status_code: int, body) -> None:
    """Keep the first successful answer for the claimed key, in the same transaction."""
    claim.status_code = status_code
    claim.response_body = body
    claim.save(update_fields=["status_code", "response_body"])
