"""Finding the memory conversions of a Cython source with Cython's own front end: the file is
parsed and its expressions analysed (types inferred, coercions inserted) by Cython's compiler
pipeline, cut right after ``AnalyseExpressionsTransform``: no C is generated, nothing is
compiled.  A tree walk then reads each coercion, cast, call, slice and address-of whose types
involve memory (a pointer, a C array, a typed memoryview, ``bytes``/``bytearray``, a buffer
object, a C++ string).

Include paths and directives are read as ``cythonize`` reads them: the ``-I`` folders, the
file's own folder, numpy's headers and ``.pxd`` where numpy is installed, and the file's
``# cython:`` header (``directives`` add to it, e.g. ``language_level`` from the project).  A
file whose analysis fails is scanned by its parse alone: calls and casts are found, their types
unknown, and Cython's first error is kept.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from report.scan.conversions import UNTYPED, Conversion, FileScan, type_name

MEMORY_CALLS = frozenset({
    "memoryview", "bytes", "bytearray", "array.array", "cpython.array.array",
    "numpy.asarray", "numpy.array", "numpy.frombuffer", "numpy.ascontiguousarray",
    "numpy.asfortranarray", "numpy.copy", "numpy.require",
    "PyMemoryView_FromMemory", "PyMemoryView_FromObject", "PyMemoryView_FromBuffer",
    "PyBytes_FromStringAndSize", "PyByteArray_FromStringAndSize", "PyBytes_AS_STRING",
    "PyByteArray_AS_STRING", "PyBytes_AsString", "PyByteArray_AsString",
    "numpy.PyArray_SimpleNewFromData", "numpy.PyArray_DATA", "numpy.PyArray_BYTES",
    "PyArray_SimpleNewFromData", "PyArray_DATA", "PyArray_BYTES",
    "array.extend_buffer", "extend_buffer", "array.copy", "array.clone", "cython.view.array",
    "PyBuffer_FillInfo", "PyObject_GetBuffer",
})
"""Callees that convert memory whatever the case catalogue holds (more come from the cases'
signatures): a call of one is a conversion even when no case covers it (then "unmeasured")."""
BUFFER_CALLS = {"PyObject_GetBuffer": (0, "Py_buffer"), "PyBuffer_FillInfo": (2, "Py_buffer")}
"""The buffer protocol's C calls: which argument they turn into what (``PyObject_GetBuffer(o,
&view, flags)``: the object into a ``Py_buffer``; ``PyBuffer_FillInfo(&view, o, p, ...)``: the
pointer), not their ``int`` status."""
MEMORY_METHODS = frozenset({"copy", "copy_fortran", "tobytes", "tolist", "tostring", "cast",
                            "toreadonly"})
"""Methods of a memoryview (typed or Python) that convert it."""
ALIASES = {"np": "numpy", "cnp": "numpy"}
INCLUDED_SUFFIXES = (".pxi", ".pyx")
"""What ``include "..."`` brings into a module (a ``.pxd`` is cimported, never included)."""
"""Import names so common that a file's own imports need not say them."""


def _is_memory(cython_type: Any) -> bool:
    """Whether a Cython type holds or views memory: a pointer, a C array, a typed memoryview,
    a C++ string, a buffer-holding builtin or extension type."""
    if cython_type is None:
        return False
    if getattr(cython_type, "is_ptr", False) or getattr(cython_type, "is_array", False):
        return True
    if getattr(cython_type, "is_memoryviewslice", False):
        return True
    name = type_name(str(cython_type))
    return name in ("bytes", "bytearray", "memoryview", "array", "ndarray", "string",
                    "std::string", "str literal") or name.startswith(("array", "ndarray"))


def _is_integer(cython_type: Any) -> bool:
    return bool(getattr(cython_type, "is_int", False)) or type_name(str(cython_type)) in (
        "size_t", "Py_ssize_t", "uintptr_t", "intptr_t", "long", "int")


def dotted(node: Any, aliases: dict[str, str]) -> str:
    """A callee's dotted name (``np.asarray`` -> ``numpy.asarray``); empty when it is no
    name."""
    parts: list[str] = []
    while type(node).__name__ == "AttributeNode":
        parts.append(str(node.attribute))
        node = node.obj
    if type(node).__name__ != "NameNode":
        return ""
    head = str(node.name)
    parts.append(aliases.get(head, ALIASES.get(head, head)))
    return ".".join(reversed(parts))


class _Finder:
    """The tree walk: every memory conversion positioned in ``path``, or in a file it includes
    (``include "x.pxi"``: a ``.pxi`` or ``.pyx`` whose code is compiled as part of it, named as
    ``names`` says, else relative to the current folder); never in a cimported ``.pxd`` (its
    inline functions are that file's own)."""

    def __init__(self, path: str, shown: str, lines: Sequence[str], calls: Collection[str],
                 *, typed: bool, names: Mapping[str, str] | None = None) -> None:
        self.path, self.shown, self.lines, self.typed = path, shown, lines, typed
        self.names = dict(names or {})
        self.pxds: set[str] = set()
        """Cimported ``.pxd`` files whose trees are walked too (as their own files)."""
        self.included: dict[str, tuple[str, list[str]]] = {}
        self.calls = MEMORY_CALLS | frozenset(calls)
        self.found: dict[tuple[str, int, int, str], Conversion] = {}
        self.aliases: dict[str, str] = {}
        self.consumed: set[int] = set()

    # -- walking ------------------------------------------------------------------------
    def walk(self, node: Any) -> None:
        stack = [node]
        seen: set[int] = set()
        while stack:
            current = stack.pop()
            if current is None or id(current) in seen:
                continue
            seen.add(id(current))
            self.visit(current)
            children: list[Any] = []
            for attr in getattr(current, "child_attrs", ()):
                child = getattr(current, attr, None)
                if isinstance(child, list):
                    children.extend(c for c in child if c is not None)
                elif child is not None:
                    children.append(child)
            stack.extend(reversed(children))

    def _file(self, node: Any) -> tuple[str, Sequence[str]] | None:
        """The shown name and lines of the file ``node`` is in, if it is this file or one it
        includes."""
        pos = getattr(node, "pos", None)
        if not pos:
            return None
        descriptor = pos[0]
        name = getattr(descriptor, "filename", None) or getattr(descriptor, "path_description",
                                                                None)
        if not name:
            return None
        absolute = os.path.abspath(str(name))
        if absolute == self.path:
            return self.shown, self.lines
        if absolute not in self.included:
            if not (absolute.endswith(INCLUDED_SUFFIXES) or absolute in self.pxds) or (
                    not os.path.isfile(absolute)):
                return None
            shown = self.names.get(absolute) or os.path.relpath(absolute)
            text = Path(absolute).read_text(encoding="utf-8", errors="replace")
            self.included[absolute] = (shown, text.splitlines())
        return self.included[absolute]

    def _lines(self, node: Any) -> Sequence[str]:
        found = self._file(node)
        return found[1] if found else self.lines

    def add(self, node: Any, construct: str, source: Any, target: Any, call: str = "",
            keywords: tuple[str, ...] = ()) -> None:
        _, line, column = node.pos
        shown, lines = self._file(node) or (self.shown, self.lines)
        source_name = source if isinstance(source, str) else type_name(str(source))
        target_name = target if isinstance(target, str) else type_name(str(target))
        code = lines[line - 1].strip() if 0 < line <= len(lines) else ""
        key = (shown, line, column, construct)
        self.found.setdefault(key, Conversion(
            shown, line, column + 1, construct, source_name, target_name, call, keywords,
            code, self.typed))

    def visit(self, node: Any) -> None:
        kind = type(node).__name__
        if kind == "CImportStatNode" and getattr(node, "as_name", None):
            self.aliases[str(node.as_name)] = str(node.module_name)
        if kind == "SingleAssignmentNode" and type(node.rhs).__name__ == "ImportNode":
            module = getattr(node.rhs.module_name, "value", None)
            if module and type(node.lhs).__name__ == "NameNode":
                self.aliases[str(node.lhs.name)] = str(module)
        if self._file(node) is None or id(node) in self.consumed:
            return
        handler = getattr(self, f"visit_{kind}", None)
        if handler is not None:
            handler(node)

    # -- the conversions --------------------------------------------------------------------
    def visit_CoerceToMemViewSliceNode(self, node: Any) -> None:
        arg = node.arg
        inner = type(arg).__name__
        if inner == "CythonArrayNode":  # <char[:n]> p: a cython.view.array over p
            self.consumed.add(id(arg))
            self.add(node, "cast", _type(arg.operand), node.type)
        elif inner == "SliceIndexNode" and getattr(_type(arg.base), "is_ptr", False):
            self.consumed.add(id(arg))  # p[:n] -> a memoryview: through a bytes copy
            self.add(node, "slice", _type(arg.base), node.type)
        elif type(_unwrap(arg)).__name__ != "NoneNode":  # None: no memory
            self.add(node, "coercion", _type(_unwrap(arg)), node.type)

    def visit_CoerceFromPyTypeNode(self, node: Any) -> None:
        if type(_unwrap(node.arg)).__name__ == "NoneNode":
            return
        if _is_memory(node.type):
            self.add(node, "coercion", _type(_unwrap(node.arg)), node.type)

    def visit_CoerceToPyTypeNode(self, node: Any) -> None:
        if _is_memory(node.arg.type) and not getattr(node.arg.type, "is_memoryviewslice",
                                                     False):
            self.add(node, "coercion", node.arg.type, node.type)

    def visit_CythonArrayNode(self, node: Any) -> None:
        self.add(node, "cast", _type(node.operand), _type(node))

    def visit_TypecastNode(self, node: Any) -> None:
        operand = node.operand
        if not self.typed:  # a parse: the cast's type as written, the operand's unknown
            written = _written_cast(self._lines(node), node)
            if written not in SCALARS and _written_memory(written):
                self.add(node, "cast", UNTYPED, written)
            return
        if type(operand).__name__ == "CoerceToPyTypeNode" and _is_memory(operand.arg.type):
            self.consumed.add(id(operand))  # <bytes> p: the coercion of p
            self.add(node, "coercion", operand.arg.type, node.type)
            return
        source, target = _type(operand), _type(node)
        if _is_integer(target) or (getattr(source, "is_ptr", False)
                                   and getattr(target, "is_ptr", False)):
            return  # an address as a number, or a pointer seen as another pointer
        if _is_function(source) or _is_function(target):
            return  # <encode_func> f: a function seen as a function pointer, no memory
        if getattr(target, "is_pyobject", False) and getattr(source, "is_ptr", False) and (
                source.base_type.is_void):
            return  # <Handle> p.data: an object's reference kept in a void*, no buffer
        if type_name(str(target)) == UNTYPED:
            return  # <object> p: a reference reinterpreted, no memory converted
        if getattr(source, "is_pyobject", False) and getattr(target, "is_ptr", False) and (
                target.base_type.is_void or target.base_type.is_struct):
            return  # <void*> o, <PyObject*> o: the object's own address, no buffer taken
        if _is_memory(source) or _is_memory(target):
            self.add(node, "cast", source, target)

    def visit_SliceIndexNode(self, node: Any) -> None:
        base = getattr(node, "base", None)
        if base is not None and getattr(_type(base), "is_ptr", False):
            self.add(node, "slice", _type(base), _type(node))

    def visit_AmpersandNode(self, node: Any) -> None:
        operand = node.operand
        if type(operand).__name__ in ("IndexNode", "MemoryViewIndexNode"):
            base = getattr(operand, "base", None)
            if base is not None and getattr(_type(base), "is_memoryviewslice", False):
                self.add(node, "address", _type(base), _type(node))

    def visit_AttributeNode(self, node: Any) -> None:
        obj: Any = getattr(node, "obj", None)
        if not str(getattr(node, "attribute", "")).startswith("as_"):
            return
        # ar.data.as_voidptr: cpython.array's `data` union (after analysis, a call of the
        # union's accessor with the array as its argument)
        owner = None
        if type(obj).__name__ == "AttributeNode" and str(obj.attribute) == "data":
            owner = type_name(str(_type(_unwrap(obj.obj))))
        elif type(obj).__name__ == "SimpleCallNode" and obj.args and "data" in str(
                getattr(obj.function, "name", "")):
            owner = type_name(str(_type(_unwrap(obj.args[0]))))
        if owner in ("array", UNTYPED):
            self.add(node, "attribute", owner, _type(node), f"data.{node.attribute}")

    def _call(self, node: Any, args: Sequence[Any], keywords: tuple[str, ...]) -> None:
        function = node.function
        name = dotted(function, self.aliases)
        if type(function).__name__ == "AttributeNode" and str(function.attribute) in (
                MEMORY_METHODS) and name.rsplit(".", 1)[0] not in ("numpy", "array"):
            owner = _type(_unwrap(function.obj))
            if _is_memory(owner) or type_name(str(owner)) == UNTYPED:
                self.add(node, "method", owner, _type(node), str(function.attribute), keywords)
            return
        if name in ("array", "cpython.array") and type_name(str(_type(node))) == "array":
            name = "array.array"  # cpython.array's type, cimported: array.array(...)
        if name and (name in self.calls or name.rsplit(".", 1)[-1] in self.calls):
            # what is converted: the first argument that holds memory (array.array(code, mv):
            # the view), else the first
            types = []
            for arg in args:
                if type(arg).__name__ == "CoerceToPyTypeNode":
                    self.consumed.add(id(arg))
                    types.append(_type(arg.arg))
                else:
                    types.append(_type(_unwrap(arg)))
            first = next((t for t in types if _is_memory(t)), types[0] if types else UNTYPED)
            target: Any = _type(node)
            if name.rsplit(".", 1)[-1] in BUFFER_CALLS:  # the Py_buffer C API: what it reads
                index, target = BUFFER_CALLS[name.rsplit(".", 1)[-1]]
                first = types[index] if index < len(types) else UNTYPED
            if name in ("bytes", "bytearray") and (not types or _is_integer(types[0])):
                return  # bytearray(16): an allocation, nothing converted
            self.add(node, "call", first, target, name, keywords)

    def visit_SimpleCallNode(self, node: Any) -> None:
        args = node.args
        if args is None:  # a call of a Python object: its arguments are a tuple
            args = getattr(getattr(node, "arg_tuple", None), "args", None)
        self._call(node, list(args or ()), ())

    def visit_GeneralCallNode(self, node: Any) -> None:
        positional = getattr(node, "positional_args", None)
        args = list(getattr(positional, "args", None) or ())
        keywords: list[str] = []
        for item in getattr(getattr(node, "keyword_args", None), "key_value_pairs", None) or ():
            key = getattr(item.key, "value", "")
            lines = self._lines(item.value)
            value = lines[item.value.pos[1] - 1][item.value.pos[2]:] if item.value.pos else ""
            keywords.append(f"{key}={_first_token(value)}")
        self._call(node, args, tuple(keywords))

    def visit_PythonCapiCallNode(self, node: Any) -> None:
        name = str(getattr(node, "function_name", ""))
        if name in self.calls:
            args = list(node.args or ())
            self.add(node, "call", _type(_unwrap(args[0])) if args else UNTYPED, _type(node), name)

    def visit_SingleAssignmentNode(self, node: Any) -> None:
        lhs, rhs = node.lhs, node.rhs
        if type(lhs).__name__ in ("SliceIndexNode", "MemoryCopySlice", "MemoryViewSliceNode") and (
                type(rhs).__name__ != "CoerceFromPyTypeNode"):  # not Cython's own copy of it
            base = getattr(lhs, "base", None) or getattr(lhs, "dst", None)
            source = _type(_unwrap(rhs))
            if _is_memory(source) or (base is not None and _is_memory(_type(base))):
                self.add(node, "slice-assignment", source, _type(base))
        if type(rhs).__name__ in ("StringNode", "BytesNode", "UnicodeNode") and getattr(
                _type(rhs), "is_ptr", False):
            self.add(rhs, "literal", "str literal", _type(rhs))


def _is_function(cython_type: Any) -> bool:
    """A C function or a pointer to one."""
    return bool(getattr(cython_type, "is_cfunction", False)) or (
        bool(getattr(cython_type, "is_ptr", False))
        and bool(getattr(cython_type.base_type, "is_cfunction", False)))


def _written_memory(written: str) -> bool:
    """Whether a cast's type as written (a parse alone) can hold or view memory: a pointer, a
    C array or typed memoryview, a buffer builtin; not an enum, a struct, an extension type
    (``<UVStream> p.data``: a reference)."""
    return "*" in written or "[" in written or written in (
        "bytes", "bytearray", "memoryview", "array.array", "ndarray", "np.ndarray",
        "cnp.ndarray", "numpy.ndarray", "str", "unicode")


def _type(node: Any) -> Any:
    """A node's type; :data:`UNTYPED` where the tree is a parse alone (no types yet)."""
    found = getattr(node, "type", None)
    return UNTYPED if found is None or isinstance(found, str) else found


def _unwrap(node: Any) -> Any:
    """The value under Cython's bookkeeping nodes (temporaries, type tests, clones)."""
    while type(node).__name__ in ("CoerceToTempNode", "PyTypeTestNode", "CloneNode",
                                  "NoneCheckNode", "CoerceToBooleanNode", "ProxyNode"):
        node = getattr(node, "arg", None) or getattr(node, "expression", None)
    return node


def is_cplus(text: str) -> bool:
    """Whether a file is C++, as cythonize decides it: its ``# distutils: language = c++``
    header, or a ``libcpp`` cimport (which only C++ mode compiles)."""
    head = "\n".join(line for line in text.splitlines()[:30] if line.startswith("#"))
    return ("language" in head and "c++" in head.replace(" ", "")) or "libcpp" in text


def _written_cast(lines: Sequence[str], node: Any) -> str:
    """``char[:5]`` of ``<char[:5]> p`` as the line writes it (a parse has no types)."""
    _, line, column = node.pos
    text = lines[line - 1][column:] if 0 < line <= len(lines) else ""
    if text.startswith("<") and ">" in text:
        return " ".join(text[1:text.index(">")].split()).rstrip("?")
    return UNTYPED


def _first_token(text: str) -> str:
    depth, out = 0, []
    for char in text:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif char == "," and depth == 0:
            break
        out.append(char)
    return "".join(out).strip()


def include_dirs(extra: Iterable[Path] = ()) -> list[str]:
    """Where ``cimport`` looks: the ``-I`` folders, then numpy's own ``.pxd``/headers where numpy
    is installed (Cython adds its bundled ``Includes`` itself)."""
    found = [str(p) for p in extra]
    with contextlib.suppress(ImportError):
        import numpy

        root = Path(numpy.__file__).parent
        found.append(str(root.parent))  # numpy/__init__.pxd: `cimport numpy`
        found.append(numpy.get_include())
    return found


def module_name(path: Path) -> tuple[str, Path]:
    """The dotted name ``cythonize`` compiles a source as (``pkg.sub.mod``: up through the
    folders holding an ``__init__.py``/``.pyx``/``.pxd``; a package's ``__init__.pxd`` is the
    package) and the folder its top-level package is in (where its absolute cimports
    resolve)."""
    parts = [path.name.split(".", 1)[0].replace("-", "_")]
    folder = path.parent
    while any((folder / f"__init__{suffix}").is_file() for suffix in (".py", ".pyx", ".pxd")):
        parts.append(folder.name)
        folder = folder.parent
    if parts[0] == "__init__" and len(parts) > 1:
        parts = parts[1:]
    return ".".join(reversed(parts)), folder


def scan_file(path: Path, shown: str, *, includes: Sequence[str] = (),
              directives: dict[str, Any] | None = None,
              calls: Collection[str] = (), names: Mapping[str, str] | None = None,
              pxds: Collection[str] = (), contexts: dict[tuple[Any, ...], Any] | None = None
              ) -> FileScan:
    """The conversions of one file (``shown``: its name as the output shows it), of the files
    it includes (``names``: their shown names by absolute path), and of the ``pxds`` (absolute
    paths) it cimports: analysed with the module, they need no scan of their own
    (``FileScan.covers`` names them).  ``contexts`` keeps Cython's compilation contexts
    between files built alike, as ``cythonize`` compiles a package's modules in one: a
    ``.pxd`` they cimport (numpy's, libc's) is parsed and analysed once, not per file.

    A ``.pyx`` is compiled as the module its package makes it (relative cimports resolve, its
    own ``.pxd`` is read).  A ``.pxd`` cannot be compiled alone (Cython itself refuses): it is
    analysed as a module that cimports it sees it, which analyses its inline functions."""
    from Cython.Compiler.Main import CompilationOptions, CompilationSource, Context, default_options
    from Cython.Compiler.Scanning import FileSourceDescriptor

    absolute = os.path.abspath(path)
    text = Path(absolute).read_text(encoding="utf-8", errors="replace")
    lines = text.splitlines()
    module, root = module_name(Path(absolute))
    options = CompilationOptions(default_options)
    options.include_path = list(dict.fromkeys([str(Path(absolute).parent), str(root),
                                               *includes]))
    options.compiler_directives = dict(directives or {})
    options.cplus = is_cplus(text)
    if "language_level" in options.compiler_directives:
        options.language_level = options.compiler_directives["language_level"]
    key = (tuple(options.include_path[1:]), str(root), options.cplus,
           str(options.language_level), tuple(sorted(options.compiler_directives.items())))
    if contexts is None or absolute.endswith(".pxd"):  # a .pxd's stub module: its own
        context = Context.from_options(options)
    else:
        context = contexts.get(key)
        if context is None:
            context = contexts[key] = Context.from_options(options)
    source = CompilationSource(FileSourceDescriptor(absolute), module, str(root))
    with contextlib.ExitStack() as stack:
        analysed = source
        if absolute.endswith(".pxd"):
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            stub = folder / f"{STUB}.pyx"
            stub.write_text(f"cimport {module}\n", encoding="utf-8")
            analysed = CompilationSource(FileSourceDescriptor(str(stub)), STUB, str(folder))
        return _scan(absolute, shown, lines, context, options, analysed, source, calls, names,
                     frozenset(pxds) | ({absolute} if absolute.endswith(".pxd") else set()))


STUB = "_cymatrix_scan_pxd"
"""The module a ``.pxd`` is analysed through (it cimports the ``.pxd``, nothing else)."""


def _scan(absolute: str, shown: str, lines: Sequence[str], context: Any, options: Any,
          analysed: Any, source: Any, calls: Collection[str],
          names: Mapping[str, str] | None, pxds: frozenset[str]) -> FileScan:
    from Cython.Compiler import Errors, Pipeline
    from Cython.Compiler.ParseTreeTransforms import AnalyseExpressionsTransform

    pipeline = Pipeline.create_pyx_pipeline(context, options, result=None)
    typed_finder = _Finder(absolute, shown, lines, calls, typed=True, names=names)
    cut: list[Any] = []
    for phase in pipeline:
        cut.append(phase)
        if isinstance(phase, AnalyseExpressionsTransform):
            break
    covered: list[str] = []

    def walk(tree: Any) -> Any:
        typed_finder.walk(tree)
        for pxd_tree, _ in list(context.pxds.values()):  # analysed apart from the module
            name = _tree_file(pxd_tree)
            if name in pxds:
                typed_finder.pxds.add(name)
                typed_finder.walk(pxd_tree)
                if name != absolute:
                    covered.append(name)
        return tree

    cut.append(walk)
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors), contextlib.redirect_stdout(io.StringIO()):
        Errors.reset()
        Errors.open_listing_file(None)  # errors echo to the captured stderr, and are counted
        try:
            error, _ = Pipeline.run_pipeline(cut, analysed, printtree=False)
        except Exception as exc:  # noqa: BLE001 - Cython's own crash is an analysis failure
            error = exc
        failed = bool(error) or Errors.threadlocal.cython_errors_count > 0
    if not failed:
        return FileScan(shown, tuple(_sorted(typed_finder.found.values())), len(lines),
                        cplus=bool(options.cplus),
                        covers=tuple((names or {}).get(c, c) for c in sorted(covered)))
    first = _first_error(errors.getvalue(), error)
    parsed = _parse_only(absolute, shown, lines, context, source, calls, names)
    return FileScan(shown, parsed, len(lines), first, parsed_only=True, cplus=bool(options.cplus))


def _tree_file(tree: Any) -> str:
    pos = getattr(tree, "pos", None)
    name = getattr(pos[0], "filename", None) if pos else None
    return os.path.abspath(str(name)) if name else ""


def _parse_only(absolute: str, shown: str, lines: Sequence[str], context: Any, source: Any,
                calls: Collection[str], names: Mapping[str, str] | None
                ) -> tuple[Conversion, ...]:
    """The calls and casts a parse finds (types unknown): what a file whose analysis failed
    still shows."""
    from Cython.Compiler import Errors, Pipeline

    finder = _Finder(absolute, shown, lines, calls, typed=False, names=names)
    parse = Pipeline.parse_stage_factory(context)
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        Errors.reset()
        Errors.open_listing_file(None)
        try:
            tree = parse(source)
        except Exception:  # noqa: BLE001 - not even parsed: nothing to show
            return ()
    finder.walk(tree)
    return tuple(_sorted(finder.found.values()))


_ERROR_LINE = re.compile(r"^(?P<file>[^\s:][^:]*):(?P<line>\d+):(?P<column>\d+): (?P<text>.+)$")
SCALARS = frozenset({"size_t", "Py_ssize_t", "ssize_t", "int", "long", "long long", "short",
                     "char", "unsigned int", "unsigned long", "uintptr_t", "intptr_t", "bint",
                     "float", "double", "object"})
"""Cast types a parse sees that convert no memory (an address as a number, a reference)."""


def _first_error(printed: str, error: object) -> str:
    """Cython's first error as ``file:line:col: message`` (its banner and code excerpt left
    out)."""
    for line in printed.splitlines():
        found = _ERROR_LINE.match(line.strip())
        if found and not found["text"].startswith(("Warning", "warning")):
            return f"{Path(found['file']).name}:{found['line']}:{found['column']}: {found['text']}"
    text = str(error).strip()
    return text.splitlines()[0] if text else "the analysis failed"


def _sorted(found: Iterable[Conversion]) -> list[Conversion]:
    return sorted(found, key=lambda c: (c.line, c.column, c.construct))
