from cpython.bytes cimport PyBytes_AS_STRING

cdef extern from "Python.h":
    char* PyByteArray_AS_STRING(object bytearray)


cdef class bytes_to_bytearray:
    cdef bytes b
    cdef bytearray ba

    def __init__(self):
        self.b = bytes(bytearray(b"choco"))     # a fresh bytes object, not a shared constant
        self.ba = bytearray(self.b)             # the conversion under test

    def source(self):
        return bytearray(self.b)

    def target(self):
        return bytearray(self.ba)

    def mutate_source(self):
        # bytes are immutable for Python code; change the memory itself to see who shares it
        cdef char* storage = PyBytes_AS_STRING(self.b)
        storage[0] = ord("z")

    def write_target(self):
        self.ba[1] = ord("W")

    def addresses(self):
        return <size_t>PyBytes_AS_STRING(self.b), <size_t>PyByteArray_AS_STRING(self.ba)
