"""The CPython C-API as the generated code sees it: declarations, symbol addresses, object constants.

Owns the table of C functions compiled code may call and makes their addresses visible to LLVM.
Slow paths call the real CPython operation (PyNumber_*, PyObject_GetItem, ...), so values and error
messages are CPython's own: nothing here spells out an error message.
"""
from __future__ import annotations

import ctypes
import sys

from llvmlite import binding as llvm
from llvmlite import ir

I1, I8, I32, I64, I128 = ir.IntType(1), ir.IntType(8), ir.IntType(32), ir.IntType(64), ir.IntType(128)
F64 = ir.DoubleType()
PTR = I8.as_pointer()
VOID = ir.VoidType()

# name -> (return type, argument types)
SIGNATURES: dict[str, tuple[ir.Type, tuple[ir.Type, ...]]] = {
    "Py_IncRef": (VOID, (PTR,)),
    "PyDict_GetItem": (PTR, (PTR, PTR)),
    "PyObject_GetAttr": (PTR, (PTR, PTR)),
    "PyObject_GetIter": (PTR, (PTR,)),
    "PyIter_Next": (PTR, (PTR,)),
    "Py_DecRef": (VOID, (PTR,)),
    "PyLong_FromLongLong": (PTR, (I64,)),
    "PyLong_AsLongLongAndOverflow": (I64, (PTR, I32.as_pointer())),
    "_PyLong_FromByteArray": (PTR, (PTR, I64, I32, I32)),
    # 3.13 added a sixth argument (with_exceptions); passing it to 3.11/3.12 is harmless (ignored register)
    "_PyLong_AsByteArray": (I32, (PTR, PTR, I64, I32, I32, I32)),
    "PyLong_AsDouble": (F64, (PTR,)),
    "PyFloat_FromDouble": (PTR, (F64,)),
    "PyNumber_Add": (PTR, (PTR, PTR)),
    "PyNumber_Subtract": (PTR, (PTR, PTR)),
    "PyNumber_Multiply": (PTR, (PTR, PTR)),
    "PyNumber_TrueDivide": (PTR, (PTR, PTR)),
    "PyNumber_FloorDivide": (PTR, (PTR, PTR)),
    "PyNumber_Remainder": (PTR, (PTR, PTR)),
    "PyNumber_Lshift": (PTR, (PTR, PTR)),
    "PyNumber_Rshift": (PTR, (PTR, PTR)),
    "PyNumber_And": (PTR, (PTR, PTR)),
    "PyNumber_Or": (PTR, (PTR, PTR)),
    "PyNumber_Xor": (PTR, (PTR, PTR)),
    "PyNumber_Power": (PTR, (PTR, PTR, PTR)),
    "PyNumber_InPlaceAdd": (PTR, (PTR, PTR)),
    "PyNumber_InPlaceSubtract": (PTR, (PTR, PTR)),
    "PyNumber_InPlaceMultiply": (PTR, (PTR, PTR)),
    "PyNumber_InPlaceTrueDivide": (PTR, (PTR, PTR)),
    "PyNumber_InPlaceFloorDivide": (PTR, (PTR, PTR)),
    "PyNumber_InPlaceRemainder": (PTR, (PTR, PTR)),
    "PyNumber_InPlaceLshift": (PTR, (PTR, PTR)),
    "PyNumber_InPlaceRshift": (PTR, (PTR, PTR)),
    "PyNumber_InPlaceAnd": (PTR, (PTR, PTR)),
    "PyNumber_InPlaceOr": (PTR, (PTR, PTR)),
    "PyNumber_InPlaceXor": (PTR, (PTR, PTR)),
    "PyNumber_InPlacePower": (PTR, (PTR, PTR, PTR)),
    "PyNumber_Negative": (PTR, (PTR,)),
    "PyNumber_Positive": (PTR, (PTR,)),
    "PyNumber_Invert": (PTR, (PTR,)),
    "PyNumber_Absolute": (PTR, (PTR,)),
    "PyNumber_Long": (PTR, (PTR,)),
    "PyNumber_Float": (PTR, (PTR,)),
    "PyNumber_Index": (PTR, (PTR,)),
    "PyObject_RichCompare": (PTR, (PTR, PTR, I32)),
    "PyObject_RichCompareBool": (I32, (PTR, PTR, I32)),
    "PyObject_IsTrue": (I32, (PTR,)),
    "PyObject_Not": (I32, (PTR,)),
    "PyObject_GetItem": (PTR, (PTR, PTR)),
    "PyObject_SetItem": (I32, (PTR, PTR, PTR)),
    "PyObject_Size": (I64, (PTR,)),
    "PyObject_Vectorcall": (PTR, (PTR, PTR.as_pointer(), I64, PTR)),
    "PyObject_CallNoArgs": (PTR, (PTR,)),
    "PyObject_CallOneArg": (PTR, (PTR, PTR)),
    "PyType_GenericAlloc": (PTR, (PTR, I64)),
    "PyList_New": (PTR, (I64,)),
    "PyList_SetItem": (I32, (PTR, I64, PTR)),
    "PyList_Append": (I32, (PTR, PTR)),
    "PyTuple_New": (PTR, (I64,)),
    "PyTuple_SetItem": (I32, (PTR, I64, PTR)),
    "PySequence_Tuple": (PTR, (PTR,)),
    "PySequence_Size": (I64, (PTR,)),
    "PySequence_GetItem": (PTR, (PTR, I64)),
    "PyErr_CheckSignals": (I32, ()),
    "PyErr_Occurred": (PTR, ()),
    "PyErr_Clear": (VOID, ()),
    "PyErr_Fetch": (VOID, (PTR.as_pointer(), PTR.as_pointer(), PTR.as_pointer())),
    "PyErr_NormalizeException": (VOID, (PTR.as_pointer(), PTR.as_pointer(), PTR.as_pointer())),
    "PyErr_Restore": (VOID, (PTR, PTR, PTR)),
    "PyErr_SetObject": (VOID, (PTR, PTR)),
    "PyException_SetTraceback": (I32, (PTR, PTR)),
    "Py_EnterRecursiveCall": (I32, (PTR,)),
    "PyEval_SaveThread": (PTR, ()),
    "PyEval_RestoreThread": (VOID, (PTR,)),
    "Py_LeaveRecursiveCall": (VOID, ()),
    "_Py_Dealloc": (VOID, (PTR,)),
}

_registered = False


def register_symbols() -> None:
    """Tell LLVM's dynamic linker where each C-API function lives (once per process)."""
    global _registered
    if _registered:
        return
    for name in SIGNATURES:
        llvm.add_symbol(name, address(name))
    # LLVM may lower 128-bit arithmetic to runtime-library calls; resolve them from libgcc so
    # such a call can never jump to an unresolved (null) address.
    try:
        libgcc = ctypes.CDLL("libgcc_s.so.1")
    except OSError:
        libgcc = None
    for name in ("__floattidf", "__fixdfti", "__divti3", "__modti3", "__udivti3", "__umodti3",
                 "__multi3", "__mulvti3", "__muloti4"):
        fn = getattr(libgcc, name, None) if libgcc is not None else None
        if fn is not None:
            llvm.add_symbol(name, ctypes.cast(fn, ctypes.c_void_p).value)
    _registered = True


_addresses: dict[str, int] = {}


def address(name: str) -> int:
    """Where C-API function `name` lives in this process."""
    addr = _addresses.get(name)
    if addr is None:
        addr = _addresses[name] = ctypes.cast(getattr(ctypes.pythonapi, name), ctypes.c_void_p).value
    return addr


def type_address(tp: type) -> int:
    return id(tp)


def object_address(obj: object) -> int:
    return id(obj)


# Layout facts of the non-debug 64-bit CPython object header (3.11-3.13): refcount, then type.
OB_TYPE_OFFSET = 8
VAR_SIZE_OFFSET = 16          # PyVarObject.ob_size
LIST_ITEMS_OFFSET = 24        # PyListObject.ob_item
FLOAT_VALUE_OFFSET = 16       # PyFloatObject.ob_fval


def type_of(b: ir.IRBuilder, obj: ir.Value) -> ir.Value:
    """Py_TYPE(obj), loaded by generated code."""
    return b.load(b.bitcast(b.gep(obj, [ir.Constant(I64, OB_TYPE_OFFSET)]), PTR.as_pointer()))


def list_size(b: ir.IRBuilder, lst: ir.Value) -> ir.Value:
    """len(lst) of a list, as an i64 loaded by generated code."""
    return b.load(b.bitcast(b.gep(lst, [ir.Constant(I64, VAR_SIZE_OFFSET)]), I64.as_pointer()))


def list_slot(b: ir.IRBuilder, lst: ir.Value, i: ir.Value) -> ir.Value:
    """The address of item i of a list (`&ob_item[i]`); i must be in range before it is read."""
    items = b.load(b.bitcast(b.gep(lst, [ir.Constant(I64, LIST_ITEMS_OFFSET)]), PTR.as_pointer().as_pointer()))
    return b.gep(items, [i])


def list_index(b: ir.IRBuilder, lst: ir.Value, i: ir.Value, fits: ir.Value) -> tuple[ir.Value, ir.Value]:
    """(in range, index from the front) of `lst[i]` for an i64 index `i`, where `fits` says
    the Python index is that i64 at all: a negative index counts from the end, as in Python."""
    n = list_size(b, lst)
    i = b.select(b.icmp_signed("<", i, ir.Constant(I64, 0)), b.add(i, n), i)
    ok = b.and_(fits, b.and_(b.icmp_signed(">=", i, ir.Constant(I64, 0)), b.icmp_signed("<", i, n)))
    return ok, i

if hasattr(sys, "gettotalrefcount"):   # a debug build has two more pointers in every header
    raise ImportError("tierjit's native tiers need a release (non-debug) CPython build")
if getattr(sys, "_is_gil_enabled", lambda: True)() is False:
    raise ImportError("tierjit does not support free-threaded CPython builds")

# How Py_INCREF / Py_DECREF look in this CPython, so compiled code does them inline (a call to
# Py_IncRef/Py_DecRef per reference made list loops slower than the interpreter):
# "plain" (3.11): a 64-bit count; "immortal" (3.12, 3.13): the low 32 bits, negative = immortal,
# never changed; "call": an unknown layout, call the C-API functions.
REFCOUNT_STYLE = {(3, 11): "plain", (3, 12): "immortal", (3, 13): "immortal"}.get(sys.version_info[:2], "call")

Py_LT, Py_LE, Py_EQ, Py_NE, Py_GT, Py_GE = range(6)
