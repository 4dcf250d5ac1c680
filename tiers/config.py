"""The engine's tunables: one table, read from the environment, validated in one place.

Owns `Config` and the parsing of user-typed settings (`%jit_config key=value`, TIERJIT_* env vars).
Every tunable lives in TUNABLES so docs, tests and the magic all read the same list.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping


class ConfigError(ValueError):
    """A bad setting: the message is one line naming the key, the value and what is allowed."""


@dataclass(frozen=True)
class Tunable:
    key: str
    kind: type            # int, bool or float
    default: Any
    env: str
    doc: str
    minimum: float = 0


# Defaults, and why (docs/tiers.md has the longer story):
# - tier1_calls=2: a tier-1 compile costs a few ms, about 10^5 cheap calls of CPython; compiling on the
#   second call (the first one records the types) pays off for anything called in a loop.
# - tier2_calls=1000: tier 2 costs a few ms more on a background thread; like HotSpot's C2 threshold
#   (10^4) it waits until the function has proved it is hot, scaled down for notebook-sized runs.
# - tier1_loops=1000 / tier2_loops=100000: a loop that has run 1000 back-edges in one call is worth an
#   OSR entry (CPython 3.13's own JIT warms up after 16 back-edges, HotSpot after ~60000 for OSR).
TUNABLES: tuple[Tunable, ...] = (
    Tunable("tier1_calls", int, 2, "TIERJIT_TIER1_CALLS", "calls before a tier-1 compile", 1),
    Tunable("tier2_calls", int, 1000, "TIERJIT_TIER2_CALLS", "calls before a tier-2 compile", 1),
    Tunable("tier1_loops", int, 1000, "TIERJIT_TIER1_LOOPS", "loop back-edges in one call before OSR to tier 1", 1),
    Tunable("tier2_loops", int, 100000, "TIERJIT_TIER2_LOOPS", "loop back-edges before tier 2", 1),
    Tunable("background", bool, True, "TIERJIT_BACKGROUND", "compile tier 2 on a background thread"),
    Tunable("osr", bool, True, "TIERJIT_OSR", "enter native code in the middle of a hot loop"),
    Tunable("code_cache_mb", float, 64.0, "TIERJIT_CODE_CACHE_MB", "machine-code budget before cold code is evicted", 0.01),
    Tunable("enabled", bool, True, "TIERJIT_ENABLED", "JIT on (profiling and compiled code) or plain CPython"),
)
_BY_KEY = {t.key: t for t in TUNABLES}
CONFIG_KEYS: tuple[str, ...] = tuple(t.key for t in TUNABLES if t.key != "enabled")

_TRUE = {"1", "on", "true", "yes"}
_FALSE = {"0", "off", "false", "no"}


@dataclass(frozen=True)
class Config:
    tier1_calls: int = 2
    tier2_calls: int = 1000
    tier1_loops: int = 1000
    tier2_loops: int = 100000
    background: bool = True
    osr: bool = True
    code_cache_mb: float = 64.0
    enabled: bool = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "Config":
        changes = {t.key: environ[t.env] for t in TUNABLES if environ.get(t.env, "").strip()}
        try:
            return cls().replace(**changes)
        except ConfigError as err:
            raise ConfigError(f"environment: {err}") from None

    def replace(self, **changes: Any) -> "Config":
        """A new Config with `changes` validated (all of them, before anything changes)."""
        parsed = {key: convert(key, value) for key, value in changes.items()}
        return dataclasses.replace(self, **parsed)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def convert(key: str, value: Any) -> Any:
    tunable = _BY_KEY.get(key)
    if tunable is None:
        raise ConfigError(f"unknown setting {key!r}; allowed: {', '.join(_BY_KEY)}")
    if tunable.kind is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ConfigError(f"{key}={value!r} is not on/off; allowed: on, off")
    try:
        if isinstance(value, bool):
            raise ValueError
        number = tunable.kind(value)
        if tunable.kind is float and number != number:  # NaN
            raise ValueError
    except (TypeError, ValueError):
        kind = "an integer" if tunable.kind is int else "a number"
        raise ConfigError(f"{key}={value!r} is not {kind}") from None
    if number < tunable.minimum:
        raise ConfigError(f"{key}={value!r} is too small; allowed: >= {tunable.minimum:g}")
    return number


def parse_settings(words: list[str]) -> dict[str, Any]:
    """Parse `key=value` words as typed after `%jit_config`."""
    changes: dict[str, Any] = {}
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not key or not value:
            raise ConfigError(f"expected key=value, got {word!r}; keys: {', '.join(CONFIG_KEYS)}")
        if key not in CONFIG_KEYS:
            raise ConfigError(f"unknown setting {key!r}; allowed: {', '.join(CONFIG_KEYS)}")
        changes[key] = convert(key, value)
    return changes
