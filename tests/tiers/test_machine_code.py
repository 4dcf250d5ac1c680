"""A unit's machine code is made by one target machine per tier kept for the process
(`native.emit_object`) and handed to the unit's fresh MCJIT engine through its object-cache
hook, so the engine only loads it. That must change nothing but the time: for every bench
function, at tier 1 and at tier 2, the object is byte for byte the one MCJIT makes itself from
the same IR, and the code runs (the differential and fuzz suites run all compiled code this way).
"""

from llvmlite import binding as llvm
from tierharness import bench_function_records


def objects_both_ways(ir_text, tier):
    """(the object MCJIT makes itself with a fresh target machine, the one emit_object makes)."""
    from tierjit.tiers import compile_queue, native

    native.initialise()
    made = []
    with compile_queue.LLVM_LOCK:
        for way in ("mcjit", "shared"):
            context = llvm.create_context()
            module = llvm.parse_assembly(ir_text, context=context)
            (native.optimise if tier >= 2 else native.quick_optimise)(module)
            if way == "mcjit":
                engine = llvm.create_mcjit_compiler(module, native.target_machine(tier))
                engine.set_object_cache(notify_func=lambda _m, obj: made.append(bytes(obj)))
                engine.finalize_object()
                engine.close()
            else:
                made.append(native.emit_object(module, tier))
                del module
            context.close()
    return made


def test_shared_machine_writes_the_object_mcjit_would(jit_engine):
    from tierjit.tiers import compile_queue
    from tierjit.tiers.compiler import compile_unit

    compared = []
    for rec in bench_function_records(jit_engine, "machine_code"):
        for tier in (1, 2):
            with compile_queue.LLVM_LOCK:
                unit = compile_unit(jit_engine, rec, tier)
                ir_text, code_bytes = unit.ir_before, unit.code_bytes
                unit.close()
            by_mcjit, by_shared = objects_both_ways(ir_text, tier)
            assert by_shared == by_mcjit, f"{rec.name} at tier {tier}: the objects differ"
            # the unit's own figure is the size of the object it loaded
            assert code_bytes == len(by_mcjit), f"{rec.name} at tier {tier}"
            compared.append((rec.name, tier))
    assert len(compared) >= 40, compared
