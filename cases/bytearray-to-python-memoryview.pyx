from cpython.buffer cimport PyObject_GetBuffer, PyBuffer_Release, PyBUF_SIMPLE

cdef extern from "Python.h":
    char* PyByteArray_AS_STRING(object bytearray)


cdef class bytearray_to_python_memoryview:
    cdef bytearray ba
    cdef object m                               # a Python memoryview

    def __init__(self):
        self.ba = bytearray(b"choco")
        self.m = memoryview(self.ba)            # the conversion under test

    def source(self):
        return bytearray(self.ba)

    def target(self):
        return self.m.tolist()

    def mutate_source(self):
        self.ba[0] = ord("z")

    def write_target(self):
        # slice assignment: the same spelling works on Python 2 and 3
        self.m[1:2] = b"W"

    def resize_source(self):
        self.ba.extend(b"x" * 4096)

    def addresses(self):
        cdef Py_buffer buf
        PyObject_GetBuffer(self.m, &buf, PyBUF_SIMPLE)
        target = <size_t>buf.buf
        PyBuffer_Release(&buf)
        return <size_t>PyByteArray_AS_STRING(self.ba), target
