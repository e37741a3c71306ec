from cpython.bytearray cimport PyByteArray_AS_STRING
import numpy as np
cimport numpy as cnp


cdef class numpy_to_bytearray:
    cdef cnp.ndarray arr
    cdef bytearray ba

    def __init__(self):
        self.arr = np.array([99, 104, 111, 99, 111], dtype=np.uint8)
        self.ba = bytearray(self.arr)           # the conversion under test

    def source(self):
        return [int(x) for x in self.arr]

    def target(self):
        return bytearray(self.ba)

    def mutate_source(self):
        self.arr[0] = ord("z")

    def write_target(self):
        self.ba[1] = ord("W")

    def addresses(self):
        return self.arr.__array_interface__['data'][0], <size_t>PyByteArray_AS_STRING(self.ba)
