from cpython.bytes cimport PyBytes_AS_STRING
import numpy as np
cimport numpy as cnp


cdef class numpy_to_bytes_tobytes:
    cdef cnp.ndarray arr
    cdef bytes b

    def __init__(self):
        self.arr = np.array([99, 104, 111, 99, 111], dtype=np.uint8)
        self.b = self.arr.tobytes()             # the conversion under test

    def source(self):
        return [int(x) for x in self.arr]

    def target(self):
        return bytearray(self.b)

    def mutate_source(self):
        self.arr[0] = ord("z")

    def write_target(self):
        # bytes refuses item assignment (through an untyped reference, as memoryview-tobytes)
        cdef object target = self.b
        target[1] = ord("W")

    def addresses(self):
        return self.arr.__array_interface__['data'][0], <size_t>PyBytes_AS_STRING(self.b)
