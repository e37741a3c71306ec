from cpython cimport array
import array

cdef extern from "Python.h":
    char* PyByteArray_AS_STRING(object bytearray)


cdef class bytearray_to_array:
    cdef bytearray ba
    cdef array.array ar

    def __init__(self):
        self.ba = bytearray(b"choco")
        self.ar = array.array('B', self.ba)     # the conversion under test

    def source(self):
        return bytearray(self.ba)

    def target(self):
        return self.ar.tolist()

    def mutate_source(self):
        self.ba[0] = ord("z")

    def write_target(self):
        self.ar[1] = ord("W")

    def resize_source(self):
        self.ba.extend(b"x" * 4096)

    def addresses(self):
        return <size_t>PyByteArray_AS_STRING(self.ba), self.ar.buffer_info()[0]
