"""Every write to readings, by concern. Views, API, tasks and the vendor pulls (readings.sync)
call these; import a name from the module that owns it:

- `ingest`: ReadingInput, the checks a reading passes, the one write path (`readings_ingest`);
- `sources`: the vendors' shapes normalised into ReadingInputs (Validic records as versions);
- `records`: the ordering rule for vendor records with ids and checksums (replay, correction,
  deletion); Validic records are stored by readings.bulk.validic_records_bulk_ingest;
- `manual`: manual entry;  `outbox`: forwarding manual readings to the vendors;
- `replay`: Idempotency-Key.

The ingestion names below are re-exported so callers written against the former single module
keep working (the demo loader among them). `manual` and `outbox` are not: they send Celery
tasks, and readings.tasks imports the vendor pulls, which import the write path through this
package."""

from readings.services.ingest import (
    IngestError,
    IngestResult,
    ReadingInput,
    body_hash,
    numeric_reading,
    readings_ingest,
    readings_insert,
)
from readings.services.sources import (
    heart_rate_inputs,
    impilo_reading_inputs,
    patient_metric_inputs,
    validic_record_inputs,
)

__all__ = [
    "IngestError",
    "IngestResult",
    "ReadingInput",
    "body_hash",
    "heart_rate_inputs",
    "impilo_reading_inputs",
    "numeric_reading",
    "patient_metric_inputs",
    "readings_ingest",
    "readings_insert",
    "validic_record_inputs",
]
