"""tierjit's engine: tier-0 profiling, the llvmlite compiler, deopt and OSR. No Jupyter imports here.

The public names below are the whole API other parts use (docs/engine-api.md).
"""
from .config import CONFIG_KEYS, Config, ConfigError
from .engine import Engine, current, engine, jit, stats
from .stats import format_stats_text

__all__ = ["CONFIG_KEYS", "Config", "ConfigError", "Engine", "current", "engine", "jit", "stats", "format_stats_text"]
