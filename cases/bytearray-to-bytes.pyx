from cpython.bytes cimport PyBytes_AS_STRING

cdef extern from "Python.h":
    char* PyByteArray_AS_STRING(object bytearray)


cdef class bytearray_to_bytes:
    cdef bytearray ba
    cdef bytes b

    def __init__(self):
        self.ba = bytearray(b"choco")
        self.b = bytes(self.ba)                 # the conversion under test

    def source(self):
        return bytearray(self.ba)

    def target(self):
        return bytearray(self.b)

    def mutate_source(self):
        self.ba[0] = ord("z")

    def write_target(self):
        # bytes refuses item assignment (through an untyped reference: Cython 3.3.1 emits
        # invalid C for item assignment to a variable typed `bytes`)
        cdef object target = self.b
        target[1] = ord("W")

    def resize_source(self):
        self.ba.extend(b"x" * 4096)

    def addresses(self):
        return <size_t>PyByteArray_AS_STRING(self.ba), <size_t>PyBytes_AS_STRING(self.b)
