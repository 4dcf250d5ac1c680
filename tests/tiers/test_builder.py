"""tiers/builder.py writes each instruction's text itself, for speed. These tests hold it to
llvmlite's own IRBuilder: every differential case and every bench kernel, compiled at tier 1 and
at tier 2 with each builder, gives the same module text (object addresses aside, as they
differ between any two compiles, and the numbers of unnamed values, see `renumbered`). The
module's text itself (builder.module_text, a faster print) is held to llvmlite's `str(module)`
on each of those modules."""

import re

import pytest
from llvmlite import ir

from tierharness import bench_function_records, load, use_tier
from test_differential import ALL_CASES

ADDRESS = re.compile(r"i64 \d{6,}")
NUMBERED = re.compile(r'%"\.(\d+)"')


def renumbered(text):
    """The module with each function's unnamed values numbered in order of first appearance:
    llvmlite numbers its void instructions too, Builder does not, so only the numbers differ."""
    functions = re.split(r"(?m)^(?=define |declare )", text)

    def renumber(function):
        numbers = {}
        return NUMBERED.sub(lambda m: f'%".{numbers.setdefault(m.group(1), len(numbers) + 1)}"', function)
    return "".join(renumber(function) for function in functions)


def checked_module_text(module):
    """builder.module_text, which compile_unit prints modules with, held to llvmlite's own print."""
    from tierjit.tiers import builder
    text = builder.module_text(module)
    assert text == str(module), "builder.module_text differs from str(module)"
    return text


def _llvmlite_weights_as_builder():
    """llvmlite's own branches, made to leave out their weights where Builder's do (a module
    marked by builder.without_branch_weights), so the two texts can be compared whole."""
    from llvmlite.ir import instructions

    own = instructions.ConditionalBranch.set_weights

    def set_weights(branch, weights):
        if not branch.module.__dict__.get("_tj_no_weights"):
            own(branch, weights)
    instructions.ConditionalBranch.set_weights = set_weights
    return own


def modules_with_each_builder(rec, tier):
    from llvmlite.ir import instructions

    from tierjit.tiers import builder, compile_queue, compiler, engine
    from tierjit.tiers.compiler import compile_unit

    texts = []
    own_weights = _llvmlite_weights_as_builder()
    try:
        compiler.module_text = checked_module_text
        for cls in (builder.Builder, ir.IRBuilder):
            builder.IRBuilder = cls
            with compile_queue.LLVM_LOCK:
                unit = compile_unit(engine(), rec, tier)
                texts.append(renumbered(ADDRESS.sub("i64 ADDR", unit.ir_before)))
                unit.close()
    finally:
        builder.IRBuilder = builder.Builder
        compiler.module_text = builder.module_text
        instructions.ConditionalBranch.set_weights = own_weights
    return texts


def compiled_records():
    from tierjit.tiers import engine
    return [rec for rec in engine()._live.values() if rec.units]


def assert_same_text(fast, reference, label):
    if fast != reference:
        diff = [f"{a!r}\n  != {b!r}" for a, b in zip(fast.splitlines(), reference.splitlines()) if a != b]
        pytest.fail(f"{label}: Builder and llvmlite's IRBuilder differ, first lines:\n" + "\n".join(diff[:5]))


@pytest.mark.parametrize("source, func, calls, unsupported", ALL_CASES)
def test_same_text_as_llvmlite_for_differential_case(jit_engine, source, func, calls, unsupported):
    use_tier(1)
    ns = load(source, jitted=True)
    for _ in range(3):
        try:
            ns[func](*calls[0])
        except Exception:
            pass        # the case's own error: the function is compiled all the same
    recs = compiled_records()
    assert recs, "the case never compiled: nothing was compared"
    for rec in recs:
        for tier in (1, 2):
            assert_same_text(*modules_with_each_builder(rec, tier), label=f"{rec.name} tier {tier}")


def test_same_text_as_llvmlite_for_bench_kernels(jit_engine):
    compared = 0
    for rec in bench_function_records(jit_engine, "builder"):
        for tier in (1, 2):
            assert_same_text(*modules_with_each_builder(rec, tier), label=f"{rec.name} tier {tier}")
            compared += 1
    assert compared >= 40


def test_same_text_as_llvmlite_for_the_shared_runtime():
    from tierjit.tiers import builder, runtime

    texts = []
    try:
        for cls in (builder.Builder, ir.IRBuilder):
            builder.IRBuilder = cls
            mod, _ = runtime.build_module()
            texts.append(renumbered(ADDRESS.sub("i64 ADDR", str(mod.module))))
    finally:
        builder.IRBuilder = builder.Builder
    assert "tj_rt_box_int" in texts[0]
    assert_same_text(*texts, label="the runtime")
    # the runtime's cache key is taken from builder.module_text: the same text as str(module)
    mod, _ = runtime.build_module()
    assert builder.module_text(mod.module) == str(mod.module)


def test_address_constants_read_as_llvmlite_writes_them():
    """ModuleGen.address makes `inttoptr` constants itself, once per module and type: each reads
    exactly as llvmlite's `Constant.inttoptr` would make it, with the same type, and asking again
    gives the same constant."""
    from tierjit.tiers.capi import I32, I64, PTR
    from tierjit.tiers.codegen import ModuleGen

    mod = ModuleGen("addresses", 1)
    function_pointer = ir.FunctionType(I32, [PTR, I64]).as_pointer()
    for address, ptr in ((0x7F12_3456_7890, PTR), (4096, I64.as_pointer()), (2**47 - 8, function_pointer)):
        ours = mod.address(address, ptr)
        theirs = ir.Constant(I64, address).inttoptr(ptr)
        assert ours.get_reference() == theirs.get_reference()
        assert str(ours) == str(theirs)
        assert ours.type == theirs.type
        assert mod.address(address, ptr) is ours


WEIGHTED = re.compile(r", !prof !\d+")


def test_tier1_machine_code_is_the_same_without_branch_weights(jit_engine, monkeypatch):
    """Tier 1 writes no branch weights (builder.without_branch_weights): LLVM's -O0 code
    generation lays blocks out in the order they are written and reads no weights. Each bench
    function's tier-1 module, built with weights, gives byte for byte the same object file with
    them taken out; the module built as tier 1 builds it has none."""
    from llvmlite import binding as llvm

    from tierjit.tiers import codegen, compile_queue, native
    from tierjit.tiers.compiler import compile_unit

    compared = 0
    for rec in bench_function_records(jit_engine, "weights"):
        with monkeypatch.context() as patched, compile_queue.LLVM_LOCK:
            patched.setattr(codegen, "without_branch_weights", lambda module: None)
            unit = compile_unit(jit_engine, rec, 1)
            weighted = unit.ir_before
            unit.close()
        assert "branch_weights" in weighted
        unweighted = "\n".join(line for line in WEIGHTED.sub("", weighted).splitlines()
                               if "branch_weights" not in line)
        objects = []
        with compile_queue.LLVM_LOCK:
            for text in (weighted, unweighted):
                context = llvm.create_context()
                module = llvm.parse_assembly(text, context=context)
                objects.append(native.emit_object(module, 1))
                del module
                context.close()
            unit = compile_unit(jit_engine, rec, 1)
            assert "!prof" not in unit.ir_before and "branch_weights" not in unit.ir_before
            unit.close()
        assert objects[0] == objects[1], f"{rec.name}: weights changed tier 1's machine code"
        compared += 1
    assert compared >= 20
