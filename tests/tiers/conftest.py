"""Fixtures for the compiler's acceptance tests: a clean engine per test, config restored."""

import pytest


@pytest.fixture
def jit_engine():
    """The process-wide engine, reset before the test; its config is restored afterwards."""
    from tierjit.tiers import CONFIG_KEYS, engine

    eng = engine()
    saved = eng.stats()["config"]
    eng.reset()
    try:
        yield eng
    finally:
        eng.enabled = saved["enabled"]
        eng.configure(**{key: saved[key] for key in CONFIG_KEYS})
        eng.reset()
