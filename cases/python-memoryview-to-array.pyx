from cpython cimport array
from cpython.buffer cimport PyObject_GetBuffer, PyBuffer_Release, PyBUF_SIMPLE
import array


cdef class python_memoryview_to_array:
    cdef bytearray ba
    cdef object m                               # a Python memoryview
    cdef array.array ar

    def __init__(self):
        self.ba = bytearray(b"choco")
        m = memoryview(self.ba)                 # the source: a Python memoryview over a bytearray
        self.m = m
        self.ar = array.array('B', m)           # the conversion under test

    def source(self):
        return self.m.tolist()

    def target(self):
        return self.ar.tolist()

    def mutate_source(self):
        # slice assignment: the same spelling works on Python 2 and 3
        self.m[0:1] = b"z"

    def write_target(self):
        self.ar[1] = ord("W")

    def addresses(self):
        cdef Py_buffer buf
        PyObject_GetBuffer(self.m, &buf, PyBUF_SIMPLE)
        source = <size_t>buf.buf
        PyBuffer_Release(&buf)
        return source, self.ar.buffer_info()[0]
