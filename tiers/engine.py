"""The engine: registers functions, watches their counters, moves them between tiers.

Owns the life cycle of every registered function (profiling -> compiled -> deopt/backed off / evicted)
and the one place where code is installed into or removed from a function object (`_install`).
Knows nothing of Jupyter: the kernel, the CLI and `tierjit.jit` all call the same methods.
"""
from __future__ import annotations

import contextlib
import functools
import os
import sys
import threading
import types
from typing import Any, Iterator

from . import frontend, instrument
from .compile_queue import CompileQueue
from .config import CONFIG_KEYS, Config, ConfigError, parse_settings
from .events import EventLog
from .records import NEVER, CallCounter, Compile, FunctionRecord, LoopCounter
from .stats import build as build_stats

DEOPT_LIMIT = 4          # recompiles after failed guards before a function is left on tier 0
MAX_DEAD_RECORDS = 500   # history kept for redefined functions
TEMPLATE_CACHE = 4096     # profiling-code templates and parsed sources kept for re-arming
OSR_READY = True         # loop-header entry into native code (osr.py)


class Engine:
    def __init__(self, config: Config | None = None) -> None:
        self.config = config if config is not None else Config.from_env(os.environ)
        self.events = EventLog()
        self._records: list[FunctionRecord] = []
        self._live: dict[tuple[int, str], FunctionRecord] = {}
        self._lock = threading.RLock()
        self._suspended = 0
        self._traced = False
        # original code object id -> (that code, (filename, osr threshold), unpatched profiling code):
        # re-arming after a reset patches new counters into it instead of compiling again
        self._templates: dict[int, tuple[Any, Any, Any]] = {}
        self._parsed: dict[int, tuple[Any, Any, Any, Any]] = {}
        self.queue = CompileQueue(self)
        _watch_tracing()

    # ----------------------------------------------------------------- configuration
    def configure(self, **changes: Any) -> None:
        new = self.config.replace(**changes)      # validates everything before anything changes
        old, self.config = self.config, new
        if old.enabled != new.enabled:
            self._reinstall_all()
        for rec in list(self._live.values()):
            if rec.counter is not None and rec.state == "profiling" and rec.counter.hot != NEVER:
                rec.counter.hot = rec.counter.calls + new.tier1_calls
            for lc in rec.loops:
                lc.osr_at = new.tier1_loops if new.osr and lc.enter is not None else NEVER
            if old.tier1_loops != new.tier1_loops and rec.profile_code is not None and rec.func is not None:
                # The OSR threshold is a constant of the profiling code: rebuild it.
                rec.profile_code = instrument.profiling_code(
                    rec.tree, rec.func.__code__.co_filename, rec.counter, rec.sites, rec.loops,
                    new.tier1_loops)
                self._install(rec)

    @staticmethod
    def parse_settings(words: list[str]) -> dict[str, Any]:
        return parse_settings(words)

    @property
    def enabled(self) -> bool:
        return self.config.enabled

    @enabled.setter
    def enabled(self, value: bool) -> None:
        self.configure(enabled=value)

    @property
    def active(self) -> bool:
        return self.config.enabled and not self._suspended and not self._traced

    def sync_tracing(self) -> None:
        """A debugger, profiler or coverage tool is (no longer) watching: everything runs its
        original code while one is, so stepping and profiles see the user's own bytecode."""
        traced = sys.gettrace() is not None or sys.getprofile() is not None
        if traced != self._traced:
            with self._lock:
                self._traced = traced
                self._reinstall_all()

    @contextlib.contextmanager
    def suspended(self) -> Iterator[None]:
        """Every function runs its original code inside the block (`%%interpret`)."""
        with self._lock:
            self._suspended += 1
            if self._suspended == 1:
                self._reinstall_all()
        try:
            yield
        finally:
            with self._lock:
                self._suspended -= 1
                if self._suspended == 0:
                    self._reinstall_all()

    # ----------------------------------------------------------------- registration
    def register(self, obj: Any, defined_in: str, decorated: bool = False) -> Any:
        try:
            return self._register(obj, defined_in, decorated)
        except Exception as err:  # never let bookkeeping break the user's cell
            name = getattr(obj, "__name__", "?")
            self._add_fallback(FunctionRecord(None, name, getattr(obj, "__qualname__", name), defined_in),
                               f"internal error while registering: {err!r}")
            return obj

    def register_skipped(self, name: str, qualname: str, defined_in: str, reason: str) -> None:
        self._add_fallback(FunctionRecord(None, name, qualname, defined_in), reason)

    def _register(self, obj: Any, defined_in: str, decorated: bool) -> Any:
        if not isinstance(obj, types.FunctionType):
            if decorated:
                name = getattr(obj, "__name__", type(obj).__name__)
                self.register_skipped(name, getattr(obj, "__qualname__", name), defined_in, "decorated")
            return obj
        code = obj.__code__
        rec = FunctionRecord(obj, obj.__name__, obj.__qualname__, defined_in, original_code=code,
                             defined_at=self.events.now())
        with self._lock:
            old = self._live.get(self._key(obj))
            if old is not None and old.func is obj:
                return obj          # registered already (e.g. `jit(f)` twice)
            if old is not None:
                self._retire(old, restore=True)
                # the old body will not be re-armed: its parsed tree and template only cost memory
                self._parsed.pop(id(old.original_code), None)
                self._templates.pop(id(old.original_code), None)
            self._live[self._key(obj)] = rec
            self._records.append(rec)
            self._trim_history()
        parsed = self._parsed.get(id(code))
        if not decorated and parsed is not None and parsed[0] is code:
            _, reason, rec.tree, rec.source = parsed      # seen before (a reset re-arms it)
        else:
            reason = "decorated" if decorated else frontend.quick_reason(obj)
            if reason is None:
                try:
                    rec.tree, rec.source = frontend.load_ast(obj)
                except frontend.Unsupported as err:
                    reason = str(err)
            if reason is None:
                reason = frontend.check_subset(rec.tree)
            if not decorated:
                self._parsed[id(code)] = (code, reason, rec.tree, rec.source)
                while len(self._parsed) > TEMPLATE_CACHE:
                    self._parsed.pop(next(iter(self._parsed)))
        if reason is not None:
            self._fallback(rec, reason)
            return obj
        self._arm(rec)
        return obj

    def _arm(self, rec: FunctionRecord) -> None:
        """Build the tier-0 profiling copy and install it."""
        func = rec.func
        assert func is not None and rec.tree is not None
        cfg = self.config
        rec.counter = CallCounter(cfg.tier1_calls, functools.partial(self._on_hot, rec))
        sites = instrument.find_loops(rec.tree)
        for site in sites:
            site.osr = site.osr and OSR_READY
        rec.loops = [LoopCounter(s.line, s.index) for s in sites]
        for site, lc in zip(sites, rec.loops):
            if site.osr:
                lc.osr_at = cfg.tier1_loops if cfg.osr else NEVER
                lc.enter = functools.partial(self._osr_enter, rec, site, lc)
        rec.sites = sites
        key = (func.__code__.co_filename, cfg.tier1_loops)
        cached = self._templates.get(id(rec.original_code))
        if cached is None or cached[0] is not rec.original_code or cached[1] != key:
            template = instrument.profiling_template(rec.tree, func.__code__.co_filename, sites, cfg.tier1_loops)
            cached = (rec.original_code, key, template)
            self._templates[id(rec.original_code)] = cached
            while len(self._templates) > TEMPLATE_CACHE:
                self._templates.pop(next(iter(self._templates)))
        rec.profile_code = instrument.profiling_code(rec.tree, func.__code__.co_filename, rec.counter,
                                                     sites, rec.loops, cfg.tier1_loops, cached[2])
        rec.state, rec.tier = "profiling", 0
        self._install(rec)

    @staticmethod
    def _key(func: types.FunctionType) -> tuple[int, str]:
        return (id(func.__globals__), func.__qualname__)

    def _trim_history(self) -> None:
        dead = [r for r in self._records if self._live.get(self._key(r.func)) is not r] \
            if len(self._records) > MAX_DEAD_RECORDS * 2 else []
        for r in dead[:len(dead) - MAX_DEAD_RECORDS]:
            self._records.remove(r)

    def _add_fallback(self, rec: FunctionRecord, reason: str) -> None:
        with self._lock:
            self._records.append(rec)
        self._fallback(rec, reason)

    def _fallback(self, rec: FunctionRecord, reason: str) -> None:
        rec.state, rec.tier, rec.fallback_reason = "unsupported", 0, reason
        if rec.func is not None and rec.original_code is not None:
            rec.func.__code__ = rec.original_code
        self.events.emit("fallback", rec.id, 0, reason=reason)

    # ----------------------------------------------------------------- installing code
    def _install(self, rec: FunctionRecord) -> None:
        """Put the code that should run now into the user's function object: the only writer."""
        func = rec.func
        if func is None:
            return
        if (not self.active or rec.state in ("unsupported", "disabled") or rec.profile_code is None
                or rec.interpreting):
            func.__code__ = rec.original_code
        elif rec.state == "compiled" and rec.units:
            func.__code__ = rec.units[-1].stub
        else:
            func.__code__ = rec.profile_code

    def _reinstall_all(self) -> None:
        with self._lock:
            for rec in self._live.values():
                self._install(rec)

    def _retire(self, rec: FunctionRecord, restore: bool) -> None:
        """Drop a record's native code (redefinition, reset); optionally give it its original code."""
        rec.generation += 1
        for unit in rec.units:
            rec.native_calls[unit.tier] += unit.calls()
            self.queue.release(unit)
        rec.units = []
        for unit in rec.osr_units.values():
            self.queue.release(unit)
        rec.osr_units = {}
        if restore and rec.func is not None and rec.original_code is not None:
            rec.func.__code__ = rec.original_code
        if rec.state == "compiled":
            rec.state, rec.tier = "evicted", 0
        if restore:
            # A redefined or reset function is history: keep its numbers, drop what is heavy
            # (IR texts, typed trees, the profiling copy), so 10,000 redefinitions stay small.
            rec.explained_units = {}
            rec.tree = rec.profile_code = None
            rec.sites = []

    # ----------------------------------------------------------------- tier changes
    def _on_hot(self, rec: FunctionRecord, *args: Any) -> None:
        self.sync_tracing()
        signature = frontend.signature_of(args)
        rec.note_types(signature)
        counter = rec.counter
        assert counter is not None
        counter.hot = NEVER
        if not self.active or sys.gettrace() is not None or sys.getprofile() is not None:
            counter.hot = counter.calls + self.config.tier1_calls   # try again later
            return
        self.queue.compile(rec, 1, background=False)

    def on_tier2(self, rec: FunctionRecord, generation: int) -> None:
        """Called from tier-1 native code when its call counter reaches tier2_calls."""
        if rec.generation != generation or rec.pending_tier2 or rec.tier >= 2 or not self.active:
            return
        rec.pending_tier2 = True
        self.queue.compile(rec, 2, background=self.config.background)

    def installed(self, rec: FunctionRecord, unit: Any, compile_record: Compile) -> None:
        """A compile finished: make it the function's code (called with the lock held)."""
        rec.compiles.append(compile_record)
        rec.explained_units[unit.tier] = unit
        old_units = rec.units
        rec.units = [unit]
        for old in old_units:
            rec.native_calls[old.tier] += old.calls()
            self.queue.release(old)
        rec.state, rec.tier = "compiled", unit.tier
        self._install(rec)
        self.events.emit("tier_up", rec.id, unit.tier)
        self.queue.enforce_budget(keep=rec)

    def deopt(self, rec: FunctionRecord, unit: Any, reason: str) -> types.FunctionType:
        """A guard failed at function entry: record it, go back to tier 0; returns what runs this call."""
        key = (reason, rec.tree.lineno if rec.tree is not None else 0)
        with self._lock:
            rec.deopts[key] = rec.deopts.get(key, 0) + 1
            self.events.emit("deopt", rec.id, unit.tier if unit is not None else 0, reason=reason)
            if unit is not None and unit in rec.units:
                self._retire(rec, restore=False)
                counter = rec.counter
                assert counter is not None
                if sum(rec.deopts.values()) > DEOPT_LIMIT:
                    rec.state, rec.tier = "backed_off", 0
                    counter.hot = NEVER
                else:
                    rec.state, rec.tier = "profiling", 0
                    counter.hot = counter.calls + 1     # the next call records the new types
                self._install(rec)
        return self.tier0_function(rec)

    @contextlib.contextmanager
    def interpreting(self, recs: list[FunctionRecord]) -> Iterator[None]:
        """Every call of these functions made from Python runs their original code inside the
        block (native recursion past its C-stack budget goes on in the interpreter)."""
        with self._lock:
            for rec in recs:
                rec.interpreting += 1
                self._install(rec)
        try:
            yield
        finally:
            with self._lock:
                for rec in recs:
                    rec.interpreting -= 1
                    self._install(rec)

    def tier0_function(self, rec: FunctionRecord) -> types.FunctionType:
        func = rec.func
        assert func is not None
        code = rec.profile_code if rec.profile_code is not None else rec.original_code
        return types.FunctionType(code, func.__globals__, func.__name__)

    def _osr_enter(self, rec: FunctionRecord, site: Any, loop: LoopCounter, iterator: Any) -> Any:
        from .osr import enter   # OSR pulls in the compiler; keep it off the import path of tier 0
        return enter(self, rec, site, loop, iterator, sys._getframe(1))

    # ----------------------------------------------------------------- reading and resetting
    def reset(self) -> None:
        """Forget compiled code, profiles and records; live functions start over on tier 0."""
        self.queue.drain()
        with self._lock:
            live = [(r.func, r.defined_in) for r in self._live.values() if r.func is not None]
            for rec in self._live.values():
                self._retire(rec, restore=True)
            self._live.clear()
            self._records.clear()
            self.events.clear()
            self.queue.collect()
        for func, defined_in in live:
            self.register(func, defined_in)
        with self._lock:
            # "stats start empty": a re-armed function shows up again once it is called.
            for rec in self._records:
                rec.listed = False
            self.events.clear()

    def forget(self, namespace: dict[str, Any]) -> int:
        """Give up the functions defined in `namespace` (a module's globals) for good: their
        original code back, their machine code released, no record kept. For callers that
        throw namespaces away, such as a test running one generated program after another:
        the engine holds its functions, and `reset()` re-arms every one it holds. Returns how
        many were forgotten."""
        with self._lock:
            gone = [key for key, rec in self._live.items()
                    if rec.func is not None and rec.func.__globals__ is namespace]
            for key in gone:
                rec = self._live.pop(key)
                self._retire(rec, restore=True)
                if rec in self._records:
                    self._records.remove(rec)
            self.queue.collect()
        return len(gone)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            records = [r for r in self._records if r.listed or r.compiles or r.calls()["0"] or r.deopts]
            for r in records:
                r.listed = True
        doc = build_stats(self.config.as_dict(), records, self.events.snapshot(), self.events.dropped)
        doc["now"] = round(self.events.now(), 6)
        return doc

    def events_since(self, seq: int) -> tuple[list[dict[str, Any]], int]:
        return self.events.since(seq)

    def find(self, name: str) -> FunctionRecord | None:
        with self._lock:
            for rec in reversed(self._records):
                if name in (rec.name, rec.qualname, rec.id):
                    return rec
        return None

    def record_of(self, func: Any) -> FunctionRecord | None:
        with self._lock:
            for rec in reversed(self._records):
                if rec.func is func:
                    return rec
        return None

    def explain(self, name_or_func: Any) -> dict[str, str]:
        from .explain import explain
        rec = self.find(name_or_func) if isinstance(name_or_func, str) else self.record_of(name_or_func)
        if rec is None:
            raise KeyError(f"no JIT record for {name_or_func!r}")
        return explain(self, rec)


_engine: Engine | None = None
_engine_lock = threading.Lock()
_watching = False


def _watch_tracing() -> None:
    """Wrap sys.settrace/sys.setprofile so pdb, %debug and profilers switch the JIT out at once.

    Tools that install a C-level tracer directly are seen at the next registration or compile
    (and by the kernel before each cell) through `sync_tracing()`."""
    global _watching
    if _watching:
        return
    _watching = True
    for name in ("settrace", "setprofile"):
        original = getattr(sys, name)

        def wrapper(func: Any, _original: Any = original) -> None:
            _original(func)
            if _engine is not None:
                _engine.sync_tracing()
        wrapper.__doc__ = original.__doc__
        wrapper.__name__ = name
        setattr(sys, name, wrapper)


def engine() -> Engine:
    global _engine
    if _engine is None:
        with _engine_lock:
            if _engine is None:
                _engine = Engine()
    return _engine


def current() -> Engine | None:
    """The process-wide engine if it has been created, without creating it."""
    return _engine


def jit(func: Any) -> Any:
    """Decorator for plain scripts: the function climbs tiers as it would in the kernel."""
    defined_in = getattr(getattr(func, "__code__", None), "co_filename", "<unknown>")
    return engine().register(func, defined_in)


def stats() -> dict[str, Any]:
    return engine().stats()


__all__ = ["CONFIG_KEYS", "Config", "ConfigError", "Engine", "engine", "jit", "stats"]
