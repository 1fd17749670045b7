"""`make bench` stays runnable: the harness, run as `make bench` runs it (its own process, its
own `vitals_bench` database on this run's PostgreSQL, production settings), measures figure 1
at its smallest size and prints the figure's line with the ratio, the goal and the verdict.
Whether the goal is met at this size is not asserted — only `make bench`'s sizes say that."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BASE = Path(__file__).resolve().parents[2]


@pytest.mark.django_db  # the run's migrated template exists once its test database does
@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="needs the PostgreSQL of bin/with-services",
)
def test_the_bench_harness_measures_a_figure_and_prints_its_ratio_and_goal(request):
    # A clean environment, as `make bench` has: none of pytest's settings or test defaults.
    env = {
        k: os.environ[k] for k in ("PATH", "HOME", "DATABASE_URL", "REDIS_URL") if k in os.environ
    }
    env["BENCH_SCALE"] = "0.001"
    # The bench copies this run's migrated template (tests/template_db.py) instead of migrating
    # its database: the migrations are make test's everywhere else, the harness is the subject.
    template = request.config._template_db
    if template is not None:
        env["BENCH_TEMPLATE_DATABASE"] = template.name
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench", "1"],
        cwd=BASE,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    line = next(x for x in done.stdout.splitlines() if x.startswith("[1] "))
    assert re.search(r"service [\d,]+/s .* vs COPY [\d,]+/s", line), line
    assert re.search(r"\| ratio \d+\.\d\d of COPY \(goal >= 0\.75\) \| (PASS|FAIL)", line), line
    assert "make bench: done in" in done.stdout


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="needs the PostgreSQL of bin/with-services",
)
def test_the_bench_refuses_to_start_without_the_disk_it_needs():
    env = {k: os.environ[k] for k in ("PATH", "HOME", "DATABASE_URL") if k in os.environ}
    env.update(BENCH_SCALE="1", BENCH_DISK_GIB="1000000000")  # more than any disk has
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench", "3"],
        cwd=BASE,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "GiB free where PostgreSQL keeps its data" in done.stderr, done.stderr[-2000:]
    assert "make bench ·" not in done.stdout  # nothing was generated or measured
