import numpy as np


cdef class bytearray_to_numpy_frombuffer:
    cdef bytearray ba
    cdef object arr

    def __init__(self):
        self.ba = bytearray(b"choco")
        self.arr = np.frombuffer(self.ba, np.uint8)        # the conversion under test

    def source(self):
        return bytearray(self.ba)

    def target(self):
        return [int(x) for x in self.arr]

    def mutate_source(self):
        self.ba[0] = ord("z")

    def write_target(self):
        self.arr[1] = ord("W")

    def resize_source(self):
        self.ba.extend(b"x" * 4096)

    def addresses(self):
        cdef char* p = self.ba
        return <size_t>p, self.arr.__array_interface__['data'][0]
