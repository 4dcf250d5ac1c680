"""Where compiles run: synchronously for tier 1, on one background worker for tier 2.

Owns the compile worker thread, the hand-over of finished code to the engine, the code-cache budget
(evicting the coldest code past `code_cache_mb`) and the deferred freeing of native units that may
still have a frame on the stack. LLVM is imported only when the first compile happens.
"""
from __future__ import annotations

import os
import queue
import threading
import time
import traceback
from typing import TYPE_CHECKING, Any

from .frontend import Unsupported
from .records import Compile, FunctionRecord

if TYPE_CHECKING:
    from .engine import Engine

# Every LLVM call that creates or frees code holds this: compiles run on two threads, and freeing an
# engine while another thread compiles is not safe. Re-entrant, because closing can nest in compiling.
LLVM_LOCK = threading.RLock()


class CompileQueue:
    def __init__(self, engine: "Engine") -> None:
        self.engine = engine
        self._jobs: "queue.Queue[tuple[FunctionRecord, int, int]]" = queue.Queue()
        self._worker: threading.Thread | None = None
        self._graveyard: list[Any] = []      # units replaced but maybe still running
        self.llvm_lock = LLVM_LOCK            # LLVM work is serialised (FACTS: one compile at a time)
        self._idle = threading.Event()
        self._idle.set()
        os.register_at_fork(after_in_child=self._after_fork)

    def _after_fork(self) -> None:
        global LLVM_LOCK
        LLVM_LOCK = threading.RLock()      # a lock held by a thread that did not survive the fork
        self.llvm_lock = LLVM_LOCK
        self._worker = None
        self._jobs = queue.Queue()
        self._idle = threading.Event()
        self._idle.set()

    # ----------------------------------------------------------------- compiling
    def compile(self, rec: FunctionRecord, tier: int, background: bool) -> None:
        if not background:
            self._run(rec, tier, rec.generation, background=False)
            return
        self._idle.clear()
        self._jobs.put((rec, tier, rec.generation))
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._loop, name="tierjit-compile", daemon=True)
            self._worker.start()

    def _loop(self) -> None:
        while True:
            try:
                rec, tier, generation = self._jobs.get(timeout=5.0)
            except queue.Empty:
                if self._jobs.empty():
                    self._worker = None
                    return
                continue
            try:
                self._run(rec, tier, generation, background=True)
            finally:
                self._jobs.task_done()
                if self._jobs.unfinished_tasks == 0:
                    self._idle.set()

    def drain(self, timeout: float = 60.0) -> bool:
        """Wait for background compiles to finish (tests, reset, script exit)."""
        return self._idle.wait(timeout)

    def _run(self, rec: FunctionRecord, tier: int, generation: int, background: bool) -> None:
        from .compiler import compile_unit   # imports llvmlite: only once something is hot
        engine = self.engine
        if rec.generation != generation or rec.tree is None:
            rec.pending_tier2 = False
            return          # redefined or reset while it waited: nothing to compile
        engine.events.emit("compile_start", rec.id, tier)
        start = time.perf_counter()
        try:
            with self.llvm_lock:
                unit = compile_unit(engine, rec, tier)
        except Unsupported as err:
            rec.pending_tier2 = False
            if rec.generation == generation:
                self._failed(rec, tier, str(err), start)
            return
        except Exception as err:   # a compiler bug must never reach the user's cell
            rec.pending_tier2 = False
            if rec.generation == generation:     # else: redefined meanwhile, the failure is moot
                detail = "".join(traceback.format_exception_only(type(err), err)).strip()
                self._failed(rec, tier, f"internal compiler error: {detail}", start)
            return
        ms = (time.perf_counter() - start) * 1e3
        engine.events.emit("compile_end", rec.id, tier, ms=ms)
        record = Compile(tier, ms, unit.code_bytes, unit.ir_bytes, background, unit.signature, unit.stages_ms)
        with engine._lock:
            rec.pending_tier2 = False
            if rec.generation != generation or rec.func is None or \
                    engine._live.get(engine._key(rec.func)) is not rec:
                self.release(unit)       # redefined or reset while we compiled: drop it
                return
            engine.installed(rec, unit, record)

    def _failed(self, rec: FunctionRecord, tier: int, reason: str, start: float) -> None:
        engine = self.engine
        engine.events.emit("compile_end", rec.id, tier, ms=(time.perf_counter() - start) * 1e3, reason=reason)
        with engine._lock:
            if tier == 1 or not rec.units:
                engine._fallback(rec, reason)
            else:
                # Tier 2 failed but tier 1 works: stay there, say why.
                rec.fallback_reason = f"tier 2: {reason}"

    # ----------------------------------------------------------------- freeing code
    def release(self, unit: Any) -> None:
        unit.retired = True
        self._graveyard.append(unit)
        self.collect()

    def collect(self) -> None:
        """Close retired units that no native frame is running in (later, if a compile is running
        on another thread right now: LLVM must not free code while it compiles)."""
        if not self.llvm_lock.acquire(blocking=False):
            return
        try:
            self._collect()
        finally:
            self.llvm_lock.release()

    def _collect(self) -> None:
        # A unit is freed when no frame runs in it and no open unit calls its code directly
        # (NativeUnit.link); closing one may free another, hence the repeat.
        closed = True
        while closed:
            closed, still = False, []
            for unit in self._graveyard:
                # close() checks `active` again once no new call can enter (see NativeUnit.close)
                if unit.active() == 0 and unit.linked_by == 0 and unit.close():
                    closed = True
                else:
                    still.append(unit)
            self._graveyard = still

    def enforce_budget(self, keep: FunctionRecord | None = None) -> None:
        """Evict the least-called code until the cache fits; `keep` (just installed) stays, even
        if it alone is over the budget."""
        engine = self.engine
        limit = engine.config.code_cache_mb * 1024 * 1024
        live = [r for r in engine._live.values() if r.units or r.osr_units]
        total = sum(r.code_bytes for r in live)
        if total <= limit:
            return
        live.sort(key=lambda r: sum(u.calls() for u in r.units))
        for rec in live:
            if rec is keep:
                continue
            if total <= limit:
                break
            total -= rec.code_bytes
            engine._retire(rec, restore=False)
            rec.state, rec.tier = "evicted", 0
            if rec.counter is not None:
                rec.counter.hot = rec.counter.calls + engine.config.tier1_calls
            engine._install(rec)
            engine.events.emit("evict", rec.id, 0, reason="code cache full")
