"""The vendor sandbox: a faithful, in-memory stand-in for Impilo, Validic, patient-graph and
Solo, mounted under /sandbox/<vendor>/ only when PORTAL_SANDBOX=1 (demo and tests).

State lives in this process (`state.STORE`), seeded deterministically from the demo world
(`world`, `world_readings`), so the demo and the tests see the same vendor data and a test can
reset it. Faults are injected per vendor (`state.FAULTS` or `POST /sandbox/_faults`).
"""
