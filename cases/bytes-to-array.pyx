from cpython cimport array
from cpython.bytes cimport PyBytes_AS_STRING
import array


cdef class bytes_to_array:
    cdef bytes b
    cdef array.array ar

    def __init__(self):
        self.b = bytes(bytearray(b"choco"))     # a fresh bytes object, not a shared constant
        self.ar = array.array('B', self.b)      # the conversion under test

    def source(self):
        return bytearray(self.b)

    def target(self):
        return self.ar.tolist()

    def mutate_source(self):
        # bytes are immutable for Python code; change the memory itself to see who shares it
        cdef char* storage = PyBytes_AS_STRING(self.b)
        storage[0] = ord("z")

    def write_target(self):
        self.ar[1] = ord("W")

    def addresses(self):
        return <size_t>PyBytes_AS_STRING(self.b), self.ar.buffer_info()[0]
