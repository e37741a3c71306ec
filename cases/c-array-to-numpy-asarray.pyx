import numpy as np


cdef class c_array_to_numpy_asarray:
    cdef int c[4]
    cdef object arr

    def __init__(self):
        cdef int i
        for i in range(4):
            self.c[i] = i
        self.arr = np.asarray(<int[:4]> self.c)     # the conversion under test

    def source(self):
        return [self.c[i] for i in range(4)]

    def target(self):
        return [int(x) for x in self.arr]

    def mutate_source(self):
        self.c[0] = 555

    def write_target(self):
        self.arr[1] = 666

    def addresses(self):
        return <size_t>&self.c[0], self.arr.__array_interface__['data'][0]
