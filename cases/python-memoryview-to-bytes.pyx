from cpython.buffer cimport PyObject_GetBuffer, PyBuffer_Release, PyBUF_SIMPLE
from cpython.bytes cimport PyBytes_AS_STRING


cdef class python_memoryview_to_bytes:
    cdef bytearray ba
    cdef object m                               # a Python memoryview
    cdef bytes b

    def __init__(self):
        self.ba = bytearray(b"choco")
        m = memoryview(self.ba)                 # the source: a Python memoryview over a bytearray
        self.m = m
        self.b = m.tobytes()                    # the conversion under test

    def source(self):
        return self.m.tolist()

    def target(self):
        return bytearray(self.b)

    def mutate_source(self):
        # slice assignment: the same spelling works on Python 2 and 3
        self.m[0:1] = b"z"

    def write_target(self):
        # bytes refuses item assignment (through an untyped reference: Cython 3.3.1 emits
        # invalid C for item assignment to a variable typed `bytes`)
        cdef object target = self.b
        target[1] = ord("W")

    def addresses(self):
        cdef Py_buffer buf
        PyObject_GetBuffer(self.m, &buf, PyBUF_SIMPLE)
        source = <size_t>buf.buf
        PyBuffer_Release(&buf)
        return source, <size_t>PyBytes_AS_STRING(self.b)
