"""`make bench`: performance figures as ratios against a baseline measured in the same run.

`python -m tests.bench` (inside bin/with-services) runs every figure; one module per figure.
Sizes scale with BENCH_SCALE (1 = the issue's sizes). Nothing here is a pytest test: the
machines are small and shared, so no absolute time is ever a pass/fail.
"""
