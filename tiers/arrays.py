"""numpy as compiled code sees it: which arrays and scalars are native, and where their fields live.

Owns the type names the profiler records for numpy values, the guard facts (exact type, one
dimension, float64/int64 in native byte order, aligned) and the byte offsets of the fields the
generated code reads. The offsets are found by probing a live array rather than written down,
so a numpy that moves a field makes arrays fall back to the C-API instead of reading garbage.

numpy is never imported here: a value can only be a numpy value if the user's code imported
numpy already, so everything looks numpy up in `sys.modules`.
"""
from __future__ import annotations

import ctypes
import sys
from dataclasses import dataclass
from typing import Any

# Type names as the profiler records them (frontend.type_name) and the typer knows them.
ARRAY_FLOAT, ARRAY_INT = "ndarray[float64]", "ndarray[int64]"
SCALAR_FLOAT, SCALAR_INT, SCALAR_BOOL = "np.float64", "np.int64", "np.bool"

WRITEABLE = 0x0400      # NPY_ARRAY_WRITEABLE
ALIGNED = 0x0100        # NPY_ARRAY_ALIGNED


def numpy() -> Any:
    """The numpy module if the process has imported a numpy 2 (whose scalar rules we follow)."""
    np = sys.modules.get("numpy")
    if np is None or not getattr(np, "__version__", "0").split(".")[0].isdigit():
        return None
    return np if int(np.__version__.split(".")[0]) >= 2 and layout() is not None else None


@dataclass(frozen=True)
class Layout:
    """Byte offsets inside PyArrayObject and numpy scalars that compiled code reads (found by
    `_probe`; the descriptor's type number and byte order are checked there, and compiled code
    compares the descriptor itself)."""
    data: int          # char *data
    nd: int            # int nd
    dims: int          # npy_intp *dimensions
    strides: int       # npy_intp *strides
    descr: int         # PyArray_Descr *descr
    flags: int         # int flags
    scalar_value: int  # offset of the value in a numpy float64 / int64 scalar object


_layout: Layout | None = None
_probed = False


def layout() -> Layout | None:
    """The checked layout, probed once numpy is imported (None before, and if anything surprises)."""
    global _layout, _probed
    if not _probed:
        np = sys.modules.get("numpy")
        if np is None or not hasattr(np, "float64"):     # not imported (or still importing): ask later
            return None
        _probed = True
        try:
            _layout = _probe()
        except Exception:       # any surprise: arrays stay objects (exact, through the C-API)
            _layout = None
    return _layout


# numpy 2's PyArrayObject_fields and PyArray_Descr, as its public headers lay them out on a 64-bit
# build. They are checked on live objects before use (`_probe`), never trusted blindly.
_EXPECTED = dict(data=16, nd=24, dims=32, strides=40, descr=56, flags=64, type_num=28, byteorder=26,
                 scalar_value=16)


def _read(address: int, ctype: Any) -> int:
    return ctype.from_address(address).value


def _probe() -> Layout | None:
    np = sys.modules.get("numpy")
    if np is None or ctypes.sizeof(ctypes.c_void_p) != 8:
        return None
    e = _EXPECTED
    a = np.arange(10, dtype=np.int64)[7:1:-2]     # a strided view with known items
    base = id(a)
    # Fields whose values we know are checked first; only then are the dims/strides pointers read.
    if (_read(base + e["data"], ctypes.c_uint64) != a.ctypes.data
            or _read(base + e["nd"], ctypes.c_int32) != 1
            or _read(base + e["descr"], ctypes.c_uint64) != id(a.dtype)
            or _read(base + e["flags"], ctypes.c_int32) != a.flags.num):
        return None
    n = _read(_read(base + e["dims"], ctypes.c_uint64), ctypes.c_int64)
    stride = _read(_read(base + e["strides"], ctypes.c_uint64), ctypes.c_int64)
    if (n, stride) != (len(a), a.strides[0]):
        return None
    items = [_read(a.ctypes.data + k * stride, ctypes.c_int64) for k in range(n)]
    f, i = np.dtype(np.float64), np.dtype(np.int64)
    if (items != a.tolist()
            or _read(id(f) + e["type_num"], ctypes.c_int32) != f.num
            or _read(id(i) + e["type_num"], ctypes.c_int32) != i.num
            or chr(_read(id(f) + e["byteorder"], ctypes.c_char)[0]) != "="
            or _read(id(np.float64(2.5)) + e["scalar_value"], ctypes.c_double) != 2.5
            or _read(id(np.int64(-12345)) + e["scalar_value"], ctypes.c_int64) != -12345):
        return None
    # Compiled code makes numpy scalars with PyType_GenericAlloc and stores the value, as numpy's
    # own allocator does: that needs a plain fixed-size object, not tracked by the GC.
    for t in (np.float64, np.int64):
        if t.__basicsize__ != e["scalar_value"] + 8 or t.__itemsize__ or t.__flags__ & (1 << 14):
            return None
    return Layout(e["data"], e["nd"], e["dims"], e["strides"], e["descr"], e["flags"], e["scalar_value"])


def type_name(value: Any) -> str | None:
    """The profiler's name for a numpy value the compiler handles natively, else None."""
    np = numpy()
    if np is None:
        return None
    t = type(value)
    if t is np.ndarray:
        # numpy's own float64/int64 descriptors (native byte order), as the entry guard checks them
        if value.ndim == 1 and value.flags.aligned:
            if value.dtype is np.dtype(np.float64):
                return ARRAY_FLOAT
            if value.dtype is np.dtype(np.int64):
                return ARRAY_INT
        return None
    if t is np.float64:
        return SCALAR_FLOAT
    if t is np.int64:
        return SCALAR_INT
    if t is np.bool_:
        return SCALAR_BOOL
    return None


def scalar_type(name: str) -> Any:
    np = numpy()
    return {SCALAR_FLOAT: np.float64, SCALAR_INT: np.int64, SCALAR_BOOL: np.bool_}[name]


def changed_under_us() -> None:
    """Raised by compiled code whose array argument stopped being what it was compiled for."""
    raise RuntimeError("tierjit: a numpy array changed its dtype or shape while compiled code was "
                       "using it (the next call checks its arguments again)")
