from libc.string cimport memcpy

cdef extern from "Python.h":
    char* PyByteArray_AS_STRING(object bytearray)


cdef class char_pointer_slice_to_bytearray:
    cdef char buf[5]
    cdef bytearray ba

    def __init__(self):
        memcpy(self.buf, b"choco", 5)       # no terminating NUL: the slice gives the length
        cdef char* p = self.buf
        self.ba = p[:5]                     # the conversion under test

    def source(self):
        return [self.buf[i] for i in range(5)]

    def target(self):
        return bytearray(self.ba)

    def mutate_source(self):
        self.buf[0] = ord("z")

    def write_target(self):
        self.ba[1] = ord("W")

    def addresses(self):
        return <size_t>&self.buf[0], <size_t>PyByteArray_AS_STRING(self.ba)
