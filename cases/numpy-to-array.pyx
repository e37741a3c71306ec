from cpython cimport array
import array
import numpy as np
cimport numpy as cnp


cdef class numpy_to_array:
    cdef cnp.ndarray arr
    cdef array.array ar

    def __init__(self):
        self.arr = np.array([0, 1, 2, 3], dtype=np.int_)    # C long, array.array's 'l'
        self.ar = array.array('l', self.arr)                # the conversion under test

    def source(self):
        return [int(x) for x in self.arr]

    def target(self):
        return self.ar.tolist()

    def mutate_source(self):
        self.arr[0] = 111

    def write_target(self):
        self.ar[1] = 222

    def addresses(self):
        return self.arr.__array_interface__['data'][0], self.ar.buffer_info()[0]
