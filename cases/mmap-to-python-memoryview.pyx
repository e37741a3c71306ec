from cpython.buffer cimport PyObject_GetBuffer, PyBuffer_Release, PyBUF_SIMPLE
import mmap


cdef class mmap_to_python_memoryview:
    cdef object m
    cdef object pmv

    def __init__(self):
        self.m = mmap.mmap(-1, 4096)            # anonymous memory, zero-filled
        self.m[0:5] = b"choco"
        self.pmv = memoryview(self.m)           # the conversion under test

    def source(self):
        return list(bytearray(self.m[0:8]))

    def target(self):
        return list(bytearray(self.pmv[0:8].tobytes()))

    def mutate_source(self):
        self.m[0:1] = b"z"

    def write_target(self):
        self.pmv[1:2] = b"W"

    def resize_source(self):
        # Control first: an anonymous mmap nothing exports, resized the same way.  Where
        # even that cannot be resized (no mremap(); Linux refusing to expand a shared
        # anonymous mapping), a refusal would say nothing about the target: cannot tell.
        control = mmap.mmap(-1, 4096)
        try:
            control.resize(8192)
        except (SystemError, OSError, ValueError) as exc:
            raise NotImplementedError("cannot tell: this Python cannot resize an anonymous mmap: "
                                      + type(exc).__name__ + ": " + str(exc))
        finally:
            control.close()
        self.m.resize(8192)                     # CPython 3 refuses while a buffer is exported

    def addresses(self):
        cdef Py_buffer view
        PyObject_GetBuffer(self.m, &view, PyBUF_SIMPLE)
        source = <size_t>view.buf
        PyBuffer_Release(&view)
        PyObject_GetBuffer(self.pmv, &view, PyBUF_SIMPLE)
        target = <size_t>view.buf
        PyBuffer_Release(&view)
        return source, target
