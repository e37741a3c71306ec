import numpy as np


cdef class python_memoryview_to_numpy_asarray:
    cdef bytearray ba                           # owns the memory the memoryview views
    cdef object m
    cdef object arr

    def __init__(self):
        self.ba = bytearray(b"choco")
        m = memoryview(self.ba)                 # a local: Cython infers its type, memoryview
        self.m = m
        self.arr = np.asarray(m)                # the conversion under test

    def source(self):
        return bytearray(self.m.tobytes())

    def target(self):
        return [int(x) for x in self.arr]

    def mutate_source(self):
        self.m[0:1] = b"z"

    def write_target(self):
        self.arr[1] = ord("W")

    def addresses(self):
        cdef char* p = self.ba
        return <size_t>p, self.arr.__array_interface__['data'][0]
