"""In-environment side of the harness: runs under every Python of the axis (2.7, 3.6+).

Dependency-free and written in syntax that Python 2.7 and 3.6 accept.  It talks to the
host only through lines of the form ``@@MM <json>`` on a channel of its own: the file
descriptor ``MATRIX_PROTOCOL_FD`` names (a pipe the host made), else stdout.  What a module
prints while it is imported, and what each case prints, goes to a file of its own and comes
back inside the ``import`` or ``exit`` line, capped at ``OUTPUT_CAP`` bytes (the first and the
last half kept, the total stated); so nothing a case prints, with or without a final newline,
can be mistaken for a result, delay one, or land in another case's output, and a crash
part-way still leaves the earlier lines.

Every module is imported, and every case runs, in a fresh folder of its own under
``MATRIX_SANDBOX`` (else the system's temporary folder), with ``HOME`` and ``TMPDIR`` pointing
there; the folder is removed afterwards.  A case runs in a child of the module's process; any
process it leaves behind is killed before the next case starts (the module's process is their
subreaper on Linux).  Each process of the runner dies with its parent (``PR_SET_PDEATHSIG`` on
Linux), however the parent dies.

Usage::

    python runner.py info
    python runner.py run <build-dir> <module> <timeout-seconds> <case-symbol>...
    python runner.py serve

``info`` reports the interpreter and package versions and how to compile for it.
``run`` imports the built extension module once (with numpy, if it uses it), then forks one
child per case, so that a case that crashes or hangs ends only its own child: the parent
kills a child that outlives the timeout and reports how each child ended.  Each child drives
its case through the probes:

* ``convert``      -- instantiate the case class (the conversion happens in ``__init__``)
* ``values_ok``    -- the target holds what the source held
* ``copies``       -- mutate the source, look through the target; compare addresses
* ``readonly``     -- write through the target: works, or raises
* ``locks_source`` -- resize the source while the target lives: ``BufferError`` or not
* ``moves``        -- after a resize that took place, ask for the addresses again: did the
  source's data move while the target kept the old address (``dangles``)?

``serve`` does what ``run`` does for many modules in one interpreter: it imports numpy once
(if the environment has it), then reads one request per stdin line (``{"dir", "module",
"timeout", "symbols"}``) and forks a child per request that runs it exactly as ``run`` would
(import the module, a grandchild per case); it reports how that child ended and waits for the
next request.  Nothing a module does reaches the server or the next module; numpy's import,
the costly part of a run, is paid once per environment instead of once per module.  EOF on
stdin (the harness is gone) ends it.

Only the conversion (``__init__``) can fail a case: a probe method that raises gives that probe
an unknown value (``None``) and a detail ``cannot tell: ...``, never a run error.  The case says
"cannot tell here" itself by raising ``NotImplementedError("cannot tell: why")`` (e.g. it found
its measuring method confounded in this environment); any other exception from a probe method
is recorded as ``probe_error`` (``target() raised NotImplementedError: ...``), so an error inside
a probe is never mistaken for the case's verdict.  A write is read-only only when it is refused
as read-only (``BufferError``, or a ``TypeError``/``ValueError`` saying so); a resize locks the
source only when it raises ``BufferError``.
"""
from __future__ import print_function

import json
import os
import platform
import shutil
import signal
import struct
import sys
import sysconfig
import tempfile
import time
import warnings

MARK = "@@MM "

PROTOCOL_FD = int(os.environ.get("MATRIX_PROTOCOL_FD") or 1)
"""Where the protocol lines go: the pipe the host passed, or stdout (``info``; ``run`` by
hand)."""

OUTPUT_CAP = 65536
"""Bytes of a module's or a case's output that are kept: the first and the last half of it,
when it printed more (the total is stated beside what was kept)."""

SANDBOX = os.environ.get("MATRIX_SANDBOX") or tempfile.gettempdir()
"""Where the module's and the cases' fresh folders are made."""


def emit(obj):
    line = (MARK + json.dumps(obj, sort_keys=True) + "\n").encode("utf-8")
    if PROTOCOL_FD == 1:
        sys.stdout.flush()
    while line:
        written = os.write(PROTOCOL_FD, line)
        line = line[written:]


def fresh_folder(prefix):
    """A new empty folder under :data:`SANDBOX`."""
    return tempfile.mkdtemp(prefix=prefix, dir=SANDBOX)


def enter(folder):
    """Work in ``folder``, with ``HOME`` and the temporary folder there too."""
    os.chdir(folder)
    for name in ("HOME", "TMPDIR", "TMP", "TEMP"):
        os.environ[name] = folder
    tempfile.tempdir = None


def capture(path):
    """Send this process's stdout and stderr (file descriptors 1 and 2) to ``path``; protocol
    lines that went to stdout keep going where stdout went."""
    global PROTOCOL_FD
    sys.stdout.flush()
    sys.stderr.flush()
    if PROTOCOL_FD in (1, 2):
        PROTOCOL_FD = os.dup(PROTOCOL_FD)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def captured(path):
    """``{"output", "output_bytes", "output_kept"}`` of a captured file (see OUTPUT_CAP); the
    file is removed."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as handle:
            if size <= OUTPUT_CAP:
                data = handle.read()
            else:
                half = OUTPUT_CAP // 2
                head = handle.read(half)
                handle.seek(size - half)
                data = head + b"\n[... output cut here ...]\n" + handle.read(half)
        os.remove(path)
    except (IOError, OSError):
        return {"output": "", "output_bytes": 0, "output_kept": 0}
    return {"output": data.decode("utf-8", "replace"), "output_bytes": size,
            "output_kept": min(size, OUTPUT_CAP)}


def remove(folder):
    shutil.rmtree(folder, ignore_errors=True)


PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36


def prctl(option, value):
    """Linux's prctl(2); ``False`` where it is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(option, value, 0, 0, 0) == 0
    except Exception:
        return False


def die_with(parent):
    """End this process when ``parent`` (its parent's pid) ends, however it ends."""
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it ended before the request took effect
        os._exit(1)


def children():
    """The pids of this process's children (from /proc; empty where there is none)."""
    me = os.getpid()
    found = []
    try:
        names = os.listdir("/proc")
    except OSError:
        return found
    for name in names:
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as handle:
                stat = handle.read()
        except (IOError, OSError):
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if len(fields) > 1 and fields[1] == str(me):
            found.append(int(name))
    return found


def kill_strays():
    """Kill and reap every child left here: the processes a case left behind, re-parented to
    this subreaper (their own children come next, re-parented in turn)."""
    for _ in range(100):
        strays = children()
        if not strays:
            return
        for pid in strays:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for pid in strays:
            try:
                os.waitpid(pid, 0)
            except OSError:
                pass


def version_of(module_name):
    try:
        module = __import__(module_name)
    except Exception:
        return None
    return getattr(module, "__version__", None)


def numpy_include():
    try:
        import numpy
    except Exception:
        return None
    return numpy.get_include()


def numpy_package():
    """The installed numpy package folder: where its ``.pxd`` files (if any) live."""
    try:
        import numpy
    except Exception:
        return None
    return os.path.dirname(os.path.abspath(numpy.__file__))


def python_includes():
    """Folders holding ``Python.h`` and ``pyconfig.h``, found relocatably.

    ``sysconfig.get_paths()`` follows the interpreter where it really lives; the ``INCLUDEPY``
    config variable is baked in at build time and is wrong for relocated, uv-managed or
    repackaged interpreters.  It is only a last resort.
    """
    paths = sysconfig.get_paths()
    found = []
    for candidate in (paths.get("include"), paths.get("platinclude"),
                      sysconfig.get_config_var("INCLUDEPY")):
        if candidate and os.path.isdir(candidate) and candidate not in found:
            found.append(candidate)
    with_header = [d for d in found if os.path.isfile(os.path.join(d, "Python.h"))]
    return (with_header[:1] + [d for d in found if d not in with_header[:1]]) if with_header \
        else found


def info():
    ext_suffix = sysconfig.get_config_var("EXT_SUFFIX") or sysconfig.get_config_var("SO")
    emit(
        {
            "kind": "info",
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
            "include": python_includes(),
            "ext_suffix": ext_suffix,
            "platform": sysconfig.get_platform(),
            "pointer_bits": struct.calcsize("P") * 8,
            "cython": version_of("Cython"),
            "numpy": version_of("numpy"),
            "numpy_include": numpy_include(),
            "numpy_package": numpy_package(),
            "setuptools": version_of("setuptools"),
            "pip": version_of("pip"),
        }
    )
    return 0


def describe(exc):
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    return "%s: %s" % (type(exc).__name__, first) if first else type(exc).__name__


def summarize(caught):
    """Distinct warnings raised during the conversion (e.g. numpy's DeprecationWarning)."""
    seen = []
    for item in caught:
        text = "%s: %s" % (item.category.__name__, str(item.message).strip().splitlines()[0]
                           if str(item.message).strip() else "")
        if text not in seen:
            seen.append(text[:300])
    return seen


def optional(case, name):
    method = getattr(case, name, None)
    return method if callable(method) else None


def as_list(values):
    return [int(v) for v in values]


CANNOT_TELL = "cannot tell"
"""The case's own "cannot tell": ``NotImplementedError("cannot tell: why")`` from a probe method.
Any other exception a probe method raises (a ``NotImplementedError`` from Python itself
included) is an error *inside the probe*: the probe's value is then unknown too, but the record
says which method raised what (``probe_error``), so neither is mistaken for the other."""

READ_ONLY_WORDS = ("read-only", "readonly", "read only", "does not support item assignment",
                   "not writable", "not writeable")
"""What a ``TypeError``/``ValueError`` says when a write is refused because the target is
read-only or immutable: ``Cannot assign to read-only memoryview``, ``cannot modify read-only
memory``, numpy's ``assignment destination is read-only``, Cython's ``buffer source array is
read-only``, ``'bytes' object does not support item assignment``."""


PROBE_ERROR = "error in the probe: "
"""How a probe's detail says that a probe method raised (``cannot tell: error in the probe:
target() raised ...``), not the case."""


class CaseCannotTell(Exception):
    """The case said it cannot tell (its reason, without the ``cannot tell`` prefix)."""


class ProbeMethodError(Exception):
    """A probe method raised something that is not a measurement: ``method() raised E: msg``."""


def case_reason(exc):
    """The case's reason if ``exc`` is its own "cannot tell", else ``None``."""
    if not isinstance(exc, NotImplementedError):
        return None
    text = " ".join(str(exc).split())
    if not text.lower().startswith(CANNOT_TELL):
        return None
    return text[len(CANNOT_TELL):].lstrip(" :") or "the case gave no reason"


def call(case, name):
    """``case.<name>()``; its failure as :class:`CaseCannotTell` or :class:`ProbeMethodError`."""
    try:
        return getattr(case, name)()
    except Exception as exc:
        raise unsure(name, exc)


def unsure(name, exc):
    reason = case_reason(exc)
    if reason is not None:
        return CaseCannotTell(reason)
    return ProbeMethodError("%s() raised %s" % (name, describe(exc)))


def cannot_tell(result, exc, field="detail"):
    """Record why a probe could not tell in ``result[field]`` (and ``probe_error``)."""
    if isinstance(exc, ProbeMethodError):
        result[field] = "%s: %s%s" % (CANNOT_TELL, PROBE_ERROR, exc)
        result["probe_error"] = str(exc)
    else:
        result[field] = "%s: %s" % (CANNOT_TELL, exc)
    return result


def contents(case, name):
    return as_list(call(case, name))


def probe_values(case):
    result = {"probe": "values_ok", "values_ok": None}
    try:
        source, target = contents(case, "source"), contents(case, "target")
    except (CaseCannotTell, ProbeMethodError) as exc:
        return cannot_tell(result, exc)
    result.update({"values_ok": source == target, "source": source[:16], "target": target[:16]})
    return result


def probe_copies(case):
    """Measure copy-vs-alias: mutate the source, then look through the target."""
    result = {"probe": "copies", "copies": None, "evidence": []}
    same_address = None
    if optional(case, "addresses") is not None:
        try:
            source_address, target_address = address_pair(case)
            same_address = source_address == target_address
        except (CaseCannotTell, ProbeMethodError) as exc:
            cannot_tell(result, exc, "addresses")
        else:
            result["same_address"] = same_address
            result["evidence"].append("address")
    by_mutation = None
    if optional(case, "mutate_source") is not None:
        try:
            source_before, target_before = contents(case, "source"), contents(case, "target")
            call(case, "mutate_source")
            source_after, target_after = contents(case, "source"), contents(case, "target")
        except (CaseCannotTell, ProbeMethodError) as exc:
            cannot_tell(result, exc, "mutation")
        else:
            if source_after == source_before:
                result["mutation"] = "source did not change"
            elif target_after == source_after and target_after != target_before:
                by_mutation = False
                result["mutation"] = "target followed the source"
            elif target_after == target_before:
                by_mutation = True
                result["mutation"] = "target kept the old values"
            else:
                result["mutation"] = "target changed differently from the source"
            if by_mutation is not None:
                result["evidence"].append("mutation")
    verdicts = set(v for v in (by_mutation, None if same_address is None else not same_address)
                   if v is not None)
    if len(verdicts) == 1:
        result["copies"] = verdicts.pop()
    elif len(verdicts) > 1:
        result["conflict"] = True
    return result


def refused_as_read_only(exc):
    """Whether a write's exception is a read-only refusal (see ``READ_ONLY_WORDS``)."""
    if isinstance(exc, BufferError):
        return True
    if isinstance(exc, (TypeError, ValueError)):
        text = str(exc).lower()
        return any(word in text for word in READ_ONLY_WORDS)
    return False


def probe_readonly(case):
    result = {"probe": "readonly", "readonly": None}
    if optional(case, "write_target") is None:
        result["detail"] = "no write path offered"
        return result
    try:
        before = contents(case, "target")
    except (CaseCannotTell, ProbeMethodError) as exc:
        return cannot_tell(result, exc)
    try:
        case.write_target()
    except Exception as exc:
        if case_reason(exc) is None and refused_as_read_only(exc):
            result.update({"readonly": True, "detail": describe(exc)})
            return result
        return cannot_tell(result, unsure("write_target", exc))
    try:
        after = contents(case, "target")
    except (CaseCannotTell, ProbeMethodError) as exc:
        return cannot_tell(result, exc)
    if after == before:  # not refused, yet nothing changed: no evidence either way
        result["detail"] = "%s: write_target() raised nothing but changed nothing" % CANNOT_TELL
        return result
    result.update({"readonly": False, "detail": "write took effect"})
    return result


def address_pair(case):
    """``case.addresses()`` as two ints; :class:`CaseCannotTell` or :class:`ProbeMethodError`."""
    pair = call(case, "addresses")
    try:
        source_address, target_address = pair
        return int(source_address), int(target_address)
    except Exception as exc:  # not a pair of ints
        raise ProbeMethodError("addresses() returned no pair of addresses: %s" % describe(exc))


def probe_locks(case, state):
    """Resize the source while the target lives; the addresses just before go to ``state``
    (for :func:`probe_moves`), and whether the resize took place."""
    result = {"probe": "locks_source", "locks_source": None}
    if optional(case, "resize_source") is None:
        result["detail"] = "source is not resizable"
        return result
    if optional(case, "addresses") is not None:
        try:
            state["before"] = address_pair(case)
        except (CaseCannotTell, ProbeMethodError) as exc:
            state["before_error"] = exc
    try:
        case.resize_source()
    except BufferError as exc:
        result.update({"locks_source": True, "detail": describe(exc)})
        return result
    except Exception as exc:
        return cannot_tell(result, unsure("resize_source", exc))
    state["resized"] = True
    result.update({"locks_source": False, "detail": "resize succeeded"})
    return result


def probe_moves(case, state):
    """After a resize that took place: did the source's data move, and did the target follow?

    ``dangles``: the source's first element is elsewhere now, the target still points at the
    old place (freed or reused memory); ``follows``: the target moved with the source (a view
    that resolves the source's storage again); ``stayed``: the source's data did not move, so
    this resize could not tell (``moves`` is then ``None``); also when the target moved without
    the source, or was not at the source's address before (a copy: nothing to dangle)."""
    result = {"probe": "moves", "moves": None}
    if not state.get("resized"):
        result["detail"] = "no resize took place"
        return result
    if optional(case, "addresses") is None:
        result["detail"] = "%s: the case offers no addresses()" % CANNOT_TELL
        return result
    if "before_error" in state:
        return cannot_tell(result, state["before_error"])
    try:
        source_after, target_after = address_pair(case)
    except (CaseCannotTell, ProbeMethodError) as exc:
        return cannot_tell(result, exc)
    source_before, target_before = state["before"]
    result.update({"source_moved": source_after != source_before,
                   "target_moved": target_after != target_before})
    if target_before != source_before:
        result["detail"] = ("%s: the target was not at the source's address before the resize"
                            % CANNOT_TELL)
    elif source_after == source_before:
        result.update({"stayed": True, "detail": "%s: the resize left the source's data where"
                       " it was" % CANNOT_TELL})
    elif target_after == target_before:
        result.update({"moves": "dangles", "detail": "the source's data moved, the target"
                       " kept the old address"})
    elif target_after == source_after or target_after - target_before == (
            source_after - source_before):
        result.update({"moves": "follows", "detail": "the target moved with the source"})
    else:
        result["detail"] = "%s: the target moved, but not with the source" % CANNOT_TELL
    return result


SANITIZER = os.environ.get("MATRIX_SANITIZER") or None
"""``address`` when the harness runs this interpreter with AddressSanitizer preloaded (a
``-fsanitize=address`` build): then, after a resize that took place, the case's target is read
once more (``read_after_resize``), so that a dangling target is caught at the read by ASan; ASan
writes its report to ``<log_path>.<pid>`` (``ASAN_OPTIONS``), which the parent reports with the
child's exit.  Without a sanitizer the runner never reads through a target after a resize."""


def asan_log_prefix():
    for option in os.environ.get("ASAN_OPTIONS", "").split(":"):
        if option.startswith("log_path="):
            return option[len("log_path="):]
    return None


def sanitizer_report(pid):
    """The first lines of ASan's report for child ``pid`` (and delete its file), or ``None``."""
    prefix = asan_log_prefix()
    if SANITIZER is None or prefix is None:
        return None
    path = "%s.%d" % (prefix, pid)
    if not os.path.exists(path):
        return None
    with open(path) as handle:
        text = handle.read()
    os.remove(path)
    lines = [line.strip() for line in text.splitlines()
             if "ERROR: AddressSanitizer" in line or line.startswith("SUMMARY:")
             or line.strip().startswith("#0 ") or line.strip().startswith("#1 ")
             or line.strip().startswith("READ of") or line.strip().startswith("WRITE of")]
    return lines[:6] or [line.strip() for line in text.splitlines() if line.strip()][:3]


def read_after_resize(case, state):
    """Under a sanitizer: read through the target once more after the resize took place."""
    if SANITIZER is None or not state.get("resized"):
        return
    emit({"kind": "reading", "step": "read_after_resize"})
    try:
        contents(case, "target")
    except (CaseCannotTell, ProbeMethodError):
        pass
    emit({"kind": "read", "step": "read_after_resize"})


def guarded(name, probe, case, *more):
    """A probe's event; an exception escaping the probe's own code (a harness defect, never the
    case's) is reported as the probe's error."""
    try:
        emit(probe(case, *more))
    except Exception as exc:
        emit({"probe": name, "error": describe(exc)})


def drive(module, symbol):
    """The probes of one case (in a forked child)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            case = getattr(module, symbol)()
        except BaseException as exc:
            emit({"probe": "convert", "error": describe(exc), "warnings": summarize(caught)})
            return
    emit({"probe": "convert", "ok": True, "warnings": summarize(caught)})
    guarded("values_ok", probe_values, case)
    guarded("copies", probe_copies, case)
    guarded("readonly", probe_readonly, case)
    state = {}
    guarded("locks_source", probe_locks, case, state)
    guarded("moves", probe_moves, case, state)
    read_after_resize(case, state)
    emit({"kind": "done"})


def wait_child(pid, timeout):
    """Wait for a child at most ``timeout`` seconds; kill it after that."""
    deadline = time.time() + timeout
    delay = 0.001
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status, False
        if time.time() >= deadline:
            os.kill(pid, signal.SIGKILL)
            return os.waitpid(pid, 0)[1], True
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def run(build_dir, module_name, timeout, symbols):
    """Import the module (in a fresh folder, its output captured), then each case in a child
    of its own (see the module's text)."""
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    folder = fresh_folder("module-")
    try:
        return run_in(folder, build_dir, module_name, timeout, symbols)
    finally:
        os.chdir(SANDBOX)
        remove(folder)


def run_in(folder, build_dir, module_name, timeout, symbols):
    enter(folder)
    sys.path.insert(0, build_dir)
    import_output = os.path.join(folder, "import.out")
    saved = os.dup(1), os.dup(2)
    capture(import_output)
    try:
        module = __import__(module_name)
    except BaseException as exc:
        restore(saved)
        emit(dict(captured(import_output), kind="import", ok=False, error=describe(exc)))
        return 0
    restore(saved)
    emit(dict(captured(import_output), kind="import", ok=True))
    me = os.getpid()
    for number, symbol in enumerate(symbols):
        emit({"kind": "case", "symbol": symbol})
        case_folder = os.path.join(folder, "case-%d" % number)
        os.mkdir(case_folder)
        output = os.path.join(folder, "case-%d.out" % number)
        start = time.time()
        pid = os.fork()
        if pid == 0:  # the child: one case, then leave without running the parent's exit code
            try:
                die_with(me)
                enter(case_folder)
                capture(output)
                drive(module, symbol)
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(0)
        status, timed_out = wait_child(pid, timeout)
        kill_strays()
        ending = {"kind": "exit", "symbol": symbol, "timed_out": timed_out,
                  "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
                  "code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
                  "seconds": round(time.time() - start, 3)}
        ending.update(captured(output))
        os.chdir(folder)
        remove(case_folder)
        report = sanitizer_report(pid)
        if report:
            ending["sanitizer"] = report
        emit(ending)
    return 0


def restore(saved):
    """Give this process back the stdout and stderr it had (``saved``: their duplicates)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(saved[0], 1)
    os.dup2(saved[1], 2)
    os.close(saved[0])
    os.close(saved[1])


def serve():
    die_with(int(os.environ.get("MATRIX_PARENT_PID") or os.getppid()))
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    try:
        import numpy  # noqa: F401 -- paid once here, inherited by every module's child
        warm = True
    except Exception:
        warm = False
    emit({"kind": "ready", "numpy": warm})
    me = os.getpid()
    while True:
        line = sys.stdin.readline()
        if not line:
            return 0
        request = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                die_with(me)
                code = run(os.path.abspath(request["dir"]), request["module"],
                           float(request["timeout"]), request["symbols"])
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        status = os.waitpid(pid, 0)[1]
        kill_strays()
        emit({"kind": "served",
              "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
              "code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None})


def main(argv):
    if len(argv) >= 1 and argv[0] == "info":
        return info()
    if len(argv) == 1 and argv[0] == "serve":
        return serve()
    if len(argv) >= 5 and argv[0] == "run":
        return run(os.path.abspath(argv[1]), argv[2], float(argv[3]), argv[4:])
    sys.stderr.write("usage: runner.py info | serve | run <build-dir> <module> <timeout>"
                     " <symbol>...\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
