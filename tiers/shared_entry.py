"""One native entry per signature, shared by every tier-1 unit of that signature.

A tier-1 entry is three calls into the shared runtime around the call of the unit's function
(entry.build_table_entry); all it needs of the unit it reads from the unit's table, which it
finds through the builtin's `self`. So its code depends on the signature only, and the entry of
a signature is compiled once per process, here, the first time a unit of that signature is
compiled, and kept (there are only so many signatures). Measured on a one-line function's tier-1
compile, the entry had been about a third of it: half its Python, a second function for LLVM
to parse, select and emit (docs/tiers.md, "One entry per signature").
"""
from __future__ import annotations

from .builder import module_text, release
from .codegen import ModuleGen
from .entry import ENTRY_NAME, Signature, emit_table_entry, self_table_offset
from .native import make_machine_code


class SharedEntry:
    """The machine code of one signature's entry; never freed."""

    def __init__(self, signature: Signature, number: int) -> None:
        mod = ModuleGen(f"tj_entry_{number}", tier=1)
        emit_table_entry(mod, signature)
        self.ir_text = module_text(mod.module)
        release(mod.module)
        self.address_names = mod.address_names
        # compiled once and run on every call of its units: its locals go into registers
        self.engine, self.code_bytes = make_machine_code(self.ir_text, 1, passes="cold")
        self.address = self.engine.get_function_address(ENTRY_NAME)
        self._keep = mod.keepalive


_entries: dict[Signature, SharedEntry] = {}

# A process keeps this many shared entries at most (each an engine of its own, never freed);
# a unit of a signature past them carries its own entry, freed with it.
MAX_ENTRIES = 128


def entry_for(signature: Signature) -> SharedEntry | None:
    """The entry of `signature`, compiled on first use; None where an entry cannot find its
    table through `self` (entry.self_table_offset) or once MAX_ENTRIES are kept: the unit then
    carries its own (the caller holds LLVM_LOCK)."""
    if self_table_offset() is None:
        return None
    entry = _entries.get(signature)
    if entry is None and len(_entries) < MAX_ENTRIES:
        entry = _entries[signature] = SharedEntry(signature, len(_entries))
    return entry
