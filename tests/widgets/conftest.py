"""Recorded stats documents shared by the widget tests (hand-written, shaped like the engine's output)."""
import json
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def load(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


@pytest.fixture
def climb() -> dict:
    """sum_of_squares climbed 0 -> 1 -> 2 with an OSR and a deopt; fib reached tier 1; squares is a generator."""
    return load("climb")


@pytest.fixture
def unsupported() -> dict:
    """JIT off; only functions the engine will not compile."""
    return load("unsupported")
