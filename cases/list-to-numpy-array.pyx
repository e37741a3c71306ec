import numpy as np
cimport numpy as cnp


cdef class list_to_numpy_array:
    cdef list lst
    cdef cnp.ndarray arr

    def __init__(self):
        self.lst = [0, 1, 2, 3]
        self.arr = np.array(self.lst)           # the conversion under test

    def source(self):
        return list(self.lst)

    def target(self):
        return [int(x) for x in self.arr]

    def mutate_source(self):
        self.lst[0] = 111

    def write_target(self):
        self.arr[1] = 222

    def resize_source(self):
        self.lst.extend(range(4096))
