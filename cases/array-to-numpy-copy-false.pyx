from cpython cimport array
import array
import numpy as np


cdef class array_to_numpy_copy_false:
    cdef array.array ar
    cdef object arr

    def __init__(self):
        self.ar = array.array('i', [0, 1, 2, 3])
        self.arr = np.array(self.ar, copy=False)    # the conversion under test

    def source(self):
        return self.ar.tolist()

    def target(self):
        return [int(x) for x in self.arr]

    def mutate_source(self):
        self.ar[0] = 111

    def write_target(self):
        self.arr[1] = 222

    def resize_source(self):
        # Python-level growth: array.array checks its buffer exports before reallocating
        self.ar.extend(array.array('i', range(4096)))

    def addresses(self):
        return self.ar.buffer_info()[0], self.arr.__array_interface__['data'][0]
