from cpython cimport array
import array
import numpy as np


cdef class memoryview_to_numpy_asarray:
    cdef array.array ar                         # owns the memory the memoryview views
    cdef int[:] mv
    cdef object arr

    def __init__(self):
        self.ar = array.array('i', [0, 1, 2, 3])
        self.mv = self.ar
        self.arr = np.asarray(self.mv)          # the conversion under test

    def source(self):
        return [self.mv[i] for i in range(self.mv.shape[0])]

    def target(self):
        return [int(x) for x in self.arr]

    def mutate_source(self):
        self.mv[0] = 111

    def write_target(self):
        self.arr[1] = 222

    def addresses(self):
        return <size_t>&self.mv[0], self.arr.__array_interface__['data'][0]
