from cpython cimport array
from cpython.bytes cimport PyBytes_AS_STRING
import array


cdef class array_tobytes:
    cdef array.array ar
    cdef bytes by

    def __init__(self):
        self.ar = array.array('B', [99, 104, 111, 99, 111])
        self.by = self.ar.tobytes()         # the conversion under test

    def source(self):
        return self.ar.tolist()

    def target(self):
        return list(bytearray(self.by))

    def mutate_source(self):
        self.ar[0] = ord("z")

    def write_target(self):
        # bytes refuses item assignment (through an untyped reference, as memoryview-tobytes)
        cdef object target = self.by
        target[1] = ord("W")

    def resize_source(self):
        self.ar.extend(array.array('B', [120]) * 4096)

    def addresses(self):
        return self.ar.buffer_info()[0], <size_t>PyBytes_AS_STRING(self.by)
