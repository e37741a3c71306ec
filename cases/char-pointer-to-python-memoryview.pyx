from cpython.buffer cimport PyObject_GetBuffer, PyBuffer_Release, PyBUF_SIMPLE, PyBUF_READ
from libc.string cimport memcpy

# as in the guide; cpython/memoryview.pxd does not exist before Cython 0.29, and an identical
# extern declaration in another case of the same module is accepted by Cython
cdef extern from "Python.h":
    object PyMemoryView_FromMemory(char *mem, Py_ssize_t size, int flags)


cdef class char_pointer_to_python_memoryview:
    cdef char buf[5]
    cdef object pmv

    def __init__(self):
        memcpy(self.buf, b"choco", 5)
        self.pmv = PyMemoryView_FromMemory(self.buf, 5, PyBUF_READ)   # the conversion under test

    def source(self):
        return [self.buf[i] for i in range(5)]

    def target(self):
        return self.pmv.tolist()

    def mutate_source(self):
        self.buf[0] = ord("z")

    def write_target(self):
        # slice assignment: the same spelling works on Python 2 and 3
        self.pmv[1:2] = b"W"

    def addresses(self):
        cdef Py_buffer view
        PyObject_GetBuffer(self.pmv, &view, PyBUF_SIMPLE)
        target = <size_t>view.buf
        PyBuffer_Release(&view)
        return <size_t>&self.buf[0], target
