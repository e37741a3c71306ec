from cpython.buffer cimport PyObject_GetBuffer, PyBuffer_Release, PyBUF_SIMPLE

cdef extern from "Python.h":
    char* PyByteArray_AS_STRING(object bytearray)


cdef class python_memoryview_to_bytearray:
    cdef bytearray ba
    cdef object m                               # a Python memoryview
    cdef bytearray ba2

    def __init__(self):
        self.ba = bytearray(b"choco")
        m = memoryview(self.ba)                 # the source: a Python memoryview over a bytearray
        self.m = m
        self.ba2 = bytearray(m)                 # the conversion under test

    def source(self):
        return self.m.tolist()

    def target(self):
        return bytearray(self.ba2)

    def mutate_source(self):
        # slice assignment: the same spelling works on Python 2 and 3
        self.m[0:1] = b"z"

    def write_target(self):
        self.ba2[1] = ord("W")

    def addresses(self):
        cdef Py_buffer buf
        PyObject_GetBuffer(self.m, &buf, PyBUF_SIMPLE)
        source = <size_t>buf.buf
        PyBuffer_Release(&buf)
        return source, <size_t>PyByteArray_AS_STRING(self.ba2)
