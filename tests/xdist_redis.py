"""A pytest plugin for make test's parallel pass (bin/run-tests loads it with `-p`): each
pytest-xdist worker takes its own Redis database, so one worker's cache flush (the autouse
`_isolated_process_state`) or Celery queue never reaches another's. Database 0 stays with the
serial phase (the tests that restart Redis).

It must run before Django reads its settings, which pytest-django does while pytest starts,
before any conftest: hence a plugin module acting at import, not a fixture. (xdist's own
`--tx popen//env:NAME=value` cannot carry a URL: the spec splits on "//".)"""

import os

_worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", … (set before pytest starts)
_url = os.environ.get("REDIS_URL", "")
if _worker.startswith("gw") and _url:
    os.environ["REDIS_URL"] = f"{_url.rsplit('/', 1)[0]}/{int(_worker[2:]) + 1}"
