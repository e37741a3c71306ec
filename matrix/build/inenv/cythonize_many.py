"""In-environment side of the generate stage: cythonize several modules in one process.

Runs under every Python of the axis (2.7, 3.6+) with the environment's Cython; dependency-free,
in syntax that Python 2.7 and 3.6 accept.  Each module is cythonized as ``python -m cython
ARGS`` would do it (Cython's own command line, ``Cython.Compiler.Main.main``), one after the
other in this interpreter, as ``cythonize`` compiles a project's modules: each module gets a
fresh compilation context; what stays loaded is Cython itself and the utility code it has
read.  So the second and later modules skip Cython's start-up (about 0.5 s a module, measured
with Cython 3.2.9 on CPython 3.11: four small modules 3.0 s one process each, 1.3 s in one).

Usage::

    python cythonize_many.py JOBS.json

``JOBS.json`` is a list of ``{"cwd": folder, "argv": [cython arguments], "log": file,
"result": file}``.  For each job, in order: the working folder (and ``sys.path[0]``, as for
``python -m cython``) becomes ``cwd``; everything written to stdout and stderr (file
descriptors 1 and 2, so C-level writes too) goes to ``log``; then ``result`` is written:
``{"exit": status, "duration_s": seconds}``, where the status is what the command line would
have exited with (0, or 1 for an error Cython reported or an exception it raised).  A job with
no ``result`` file afterwards did not finish (the process died or was killed): the host builds
it again on its own.
"""

import json
import os
import sys
import time
import traceback


def redirect_to(path):
    """Point file descriptors 1 and 2 at ``path``; return what restores them."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = (os.dup(1), os.dup(2))
    target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(target, 1)
    os.dup2(target, 2)
    os.close(target)

    def restore():
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])
    return restore


def cythonize(job, main):
    """One module, as ``python -m cython`` would cythonize it: its exit status.  ``sys.path``
    starts as that command's does: Cython's own folder (``cython.py`` puts it first), then the
    working folder."""
    os.chdir(job["cwd"])
    sys.path[1] = job["cwd"]
    sys.argv = ["cython"] + list(job["argv"])
    try:
        main(command_line=1)
    except SystemExit as exc:
        code = exc.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        sys.stderr.write("%s\n" % (code,))
        return 1
    except BaseException:  # what an uncaught exception does to the command line: exit 1
        traceback.print_exc()
        return 1
    return 0


def main_of_cython():
    """Cython's command line, imported as ``cython.py`` imports it; ``sys.path[0]`` (this
    script's folder) becomes Cython's folder and a place for the working folder."""
    import Cython
    sys.path[0:1] = [os.path.dirname(os.path.dirname(os.path.realpath(Cython.__file__))), ""]
    from Cython.Compiler.Main import main
    return main


def run(jobs_file):
    with open(jobs_file) as stream:
        jobs = json.load(stream)
    main = main_of_cython()
    for job in jobs:
        start = time.time()
        restore = redirect_to(job["log"])
        try:
            status = cythonize(job, main)
        finally:
            restore()
        with open(job["result"] + ".tmp", "w") as stream:
            json.dump({"exit": status, "duration_s": time.time() - start}, stream)
        os.rename(job["result"] + ".tmp", job["result"])
    return 0


if __name__ == "__main__":
    sys.exit(run(sys.argv[1]))
