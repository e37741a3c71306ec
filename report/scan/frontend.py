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
from collections.abc import Collection, Iterable, Sequence
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
MEMORY_METHODS = frozenset({"copy", "copy_fortran", "tobytes", "tolist", "tostring", "cast",
                            "toreadonly"})
"""Methods of a memoryview (typed or Python) that convert it."""
ALIASES = {"np": "numpy", "cnp": "numpy"}
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
    """The tree walk: every memory conversion positioned in ``path``."""

    def __init__(self, path: str, shown: str, lines: Sequence[str], calls: Collection[str],
                 *, typed: bool) -> None:
        self.path, self.shown, self.lines, self.typed = path, shown, lines, typed
        self.folder = os.path.dirname(path)
        self.texts: dict[str, Sequence[str]] = {path: lines}
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

    def _file(self, node: Any) -> str | None:
        """The source file a node comes from: the scanned file, or a ``.pyx``/``.pxi`` it
        ``include``s (in its folder or below); ``None`` for Cython's utility code, ``.pxd``
        declarations and anything else outside."""
        pos = getattr(node, "pos", None)
        if not pos:
            return None
        descriptor = pos[0]
        name = getattr(descriptor, "filename", None) or getattr(descriptor, "path_description",
                                                                None)
        if not name:
            return None
        found = os.path.abspath(str(name))
        if found == self.path:
            return found
        if found.endswith((".pyx", ".pxi")) and found.startswith(self.folder + os.sep):
            return found
        return None

    def _here(self, node: Any) -> bool:
        return self._file(node) is not None

    def add(self, node: Any, construct: str, source: Any, target: Any, call: str = "",
            keywords: tuple[str, ...] = ()) -> None:
        _, line, column = node.pos
        source_name = source if isinstance(source, str) else type_name(str(source))
        target_name = target if isinstance(target, str) else type_name(str(target))
        where = self._file(node) or self.path
        if where not in self.texts:
            self.texts[where] = Path(where).read_text(encoding="utf-8",
                                                      errors="replace").splitlines()
        lines = self.texts[where]
        code = lines[line - 1].strip() if 0 < line <= len(lines) else ""
        shown = self.shown if where == self.path else os.path.join(
            os.path.dirname(self.shown), os.path.relpath(where, self.folder))
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
        if not self._here(node) or id(node) in self.consumed:
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
            written = _written_cast(self.lines, node)
            if written not in SCALARS and not written.startswith("PyObject"):
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
        if type_name(str(target)) == UNTYPED or type_name(str(target)).startswith("PyObject"):
            return  # <object> p, <PyObject*> o: a reference reinterpreted, no memory converted
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
            first = next((t for t in types if _is_memory(t)
                          and not type_name(str(t)).startswith("Py_buffer")),
                         types[0] if types else UNTYPED)
            if name in ("bytes", "bytearray") and (not types or _is_integer(types[0])):
                return  # bytearray(16): an allocation, nothing converted
            self.add(node, "call", first, _type(node), name, keywords)

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
            value = self.lines[item.value.pos[1] - 1][item.value.pos[2]:] if item.value.pos else ""
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
        written = " ".join(text[1:text.index(">")].split()).rstrip("?")
        return re.sub(r"\s*\*", " *", written).replace("* *", "**")  # char* -> char *, as typed
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


def scan_file(path: Path, shown: str, *, includes: Sequence[str] = (),
              directives: dict[str, Any] | None = None,
              calls: Collection[str] = ()) -> FileScan:
    """The conversions of one file (``shown``: its name as the output shows it)."""
    from Cython.Compiler import Errors, Pipeline
    from Cython.Compiler.Main import CompilationOptions, CompilationSource, Context, default_options
    from Cython.Compiler.ParseTreeTransforms import AnalyseExpressionsTransform
    from Cython.Compiler.Scanning import FileSourceDescriptor

    absolute = os.path.abspath(path)
    text = Path(absolute).read_text(encoding="utf-8", errors="replace")
    lines = text.splitlines()
    options = CompilationOptions(default_options)
    options.include_path = [str(Path(absolute).parent), *includes]
    options.compiler_directives = dict(directives or {})
    options.cplus = is_cplus(text)
    if "language_level" in options.compiler_directives:
        options.language_level = options.compiler_directives["language_level"]
    context = Context.from_options(options)
    module = Path(absolute).stem.replace("-", "_").replace(".", "_")
    source = CompilationSource(FileSourceDescriptor(absolute), module, str(Path(absolute).parent))
    pipeline = Pipeline.create_pyx_pipeline(context, options, result=None)
    typed_finder = _Finder(absolute, shown, lines, calls, typed=True)
    cut: list[Any] = []
    for phase in pipeline:
        cut.append(phase)
        if isinstance(phase, AnalyseExpressionsTransform):
            break
    def walk(tree: Any) -> Any:
        typed_finder.walk(tree)
        return tree

    cut.append(walk)
    errors = io.StringIO()
    with contextlib.redirect_stderr(errors), contextlib.redirect_stdout(io.StringIO()):
        Errors.reset()
        Errors.open_listing_file(None)  # errors echo to the captured stderr, and are counted
        try:
            error, _ = Pipeline.run_pipeline(cut, source, printtree=False)
        except Exception as exc:  # noqa: BLE001 - Cython's own crash is an analysis failure
            error = exc
        failed = bool(error) or Errors.threadlocal.cython_errors_count > 0
    if not failed:
        return FileScan(shown, tuple(_sorted(typed_finder.found.values())), len(lines))
    first = _first_error(errors.getvalue(), error)
    parsed = _parse_only(absolute, shown, lines, context, source, calls)
    return FileScan(shown, parsed, len(lines), first, parsed_only=True)


def _parse_only(absolute: str, shown: str, lines: Sequence[str], context: Any, source: Any,
                calls: Collection[str]) -> tuple[Conversion, ...]:
    """The calls and casts a parse finds (types unknown): what a file whose analysis failed
    still shows."""
    from Cython.Compiler import Errors, Pipeline

    finder = _Finder(absolute, shown, lines, calls, typed=False)
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
