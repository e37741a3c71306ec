from cpython.buffer cimport PyObject_GetBuffer, PyBuffer_Release, PyBUF_SIMPLE
import numpy as np
cimport numpy as cnp


cdef class numpy_to_python_memoryview:
    cdef cnp.ndarray arr
    cdef cnp.ndarray control
    cdef object m

    def __init__(self):
        self.arr = np.array([0, 1, 2, 3], dtype=np.intp)
        self.m = memoryview(self.arr)           # the conversion under test

    def source(self):
        return [int(x) for x in self.arr]

    def target(self):
        return self.m.tolist()

    def mutate_source(self):
        self.arr[0] = 111

    def write_target(self):
        self.m[1] = 222

    def resize_source(self):
        # Control first: an array nothing else references, resized the same way.  Where
        # numpy's refcheck refuses even that (Cython >= 3.1 on Python <= 3.8 holds an extra
        # reference during the call), the refusal says nothing about the target: cannot tell.
        self.control = np.zeros([4], np.intp)
        try:
            self.control.resize(4096)
        except ValueError as exc:
            raise NotImplementedError("cannot tell: numpy refcheck refuses an unshared array here too: "
                                      + " ".join(str(exc).split()))
        # numpy refuses to resize an array that something else references (its refcheck)
        # with ValueError, not the BufferError of other PEP 3118 exporters; that refusal is
        # the lock being measured, so it is reported as BufferError (any other error escapes)
        try:
            self.arr.resize(4096)
        except ValueError as exc:
            if "referenced" not in str(exc):
                raise
            raise BufferError("numpy refcheck: " + " ".join(str(exc).split()))

    def addresses(self):
        cdef Py_buffer view
        PyObject_GetBuffer(self.m, &view, PyBUF_SIMPLE)
        target = <size_t>view.buf
        PyBuffer_Release(&view)
        return self.arr.__array_interface__['data'][0], target
