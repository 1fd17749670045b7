"""readings.partitioning's one pure rule: on a partitioned table every unique index must contain
the partition key. (The conversion itself runs in `make bench` on a copy, never here.)"""

from readings.partitioning import _unique_with_partition_key


def test_a_unique_index_without_the_partition_key_gains_it():
    definition = (
        "CREATE UNIQUE INDEX reading_unique_source_record ON public.readings_reading "
        "USING btree (organization_id, source, source_record_id, metric)"
    )
    assert _unique_with_partition_key(definition).endswith(
        "(organization_id, source, source_record_id, metric, measured_at)"
    )


def test_unique_indexes_with_it_and_plain_indexes_are_kept_as_they_are():
    impilo = (
        "CREATE UNIQUE INDEX reading_impilo_once_per_device_instant ON public.readings_reading "
        "USING btree (patient_id, metric, measured_at, device_id) WHERE ((source)::text = "
        "'impilo'::text)"
    )
    plain = (
        "CREATE INDEX reading_by_org_time ON public.readings_reading USING btree (organization_id)"
    )
    assert _unique_with_partition_key(impilo) == impilo
    assert _unique_with_partition_key(plain) == plain
