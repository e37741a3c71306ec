from cpython.buffer cimport PyObject_GetBuffer, PyBuffer_Release, PyBUF_SIMPLE
from cpython.bytes cimport PyBytes_AS_STRING


cdef class bytes_to_python_memoryview:
    cdef bytes b
    cdef object m                               # a Python memoryview

    def __init__(self):
        self.b = bytes(bytearray(b"choco"))     # a fresh bytes object, not a shared constant
        self.m = memoryview(self.b)             # the conversion under test

    def source(self):
        return bytearray(self.b)

    def target(self):
        return self.m.tolist()

    def mutate_source(self):
        # bytes are immutable for Python code; change the memory itself to see who shares it
        cdef char* storage = PyBytes_AS_STRING(self.b)
        storage[0] = ord("z")

    def write_target(self):
        # slice assignment: the same spelling works on Python 2 and 3
        self.m[1:2] = b"W"

    def addresses(self):
        cdef Py_buffer buf
        PyObject_GetBuffer(self.m, &buf, PyBUF_SIMPLE)
        target = <size_t>buf.buf
        PyBuffer_Release(&buf)
        return <size_t>PyBytes_AS_STRING(self.b), target
