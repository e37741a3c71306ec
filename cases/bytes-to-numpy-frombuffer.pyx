import numpy as np


cdef class bytes_to_numpy_frombuffer:
    cdef bytes b
    cdef object arr

    def __init__(self):
        self.b = bytes(bytearray(b"choco"))     # a fresh bytes object, not a shared constant
        self.arr = np.frombuffer(self.b, dtype=np.uint8)   # the conversion under test

    def source(self):
        return bytearray(self.b)

    def target(self):
        return [int(x) for x in self.arr]

    def mutate_source(self):
        # bytes are immutable for Python code; change the memory itself to see who shares it
        cdef char* p = self.b
        p[0] = ord("z")

    def write_target(self):
        self.arr[1] = ord("W")                  # a read-only array raises ValueError

    def addresses(self):
        cdef char* p = self.b
        return <size_t>p, self.arr.__array_interface__['data'][0]
