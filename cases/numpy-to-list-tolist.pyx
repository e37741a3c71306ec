import numpy as np
cimport numpy as cnp


cdef class numpy_to_list_tolist:
    cdef cnp.ndarray arr
    cdef list lst

    def __init__(self):
        self.arr = np.array([0, 1, 2, 3], dtype=np.intp)
        self.lst = self.arr.tolist()            # the conversion under test

    def source(self):
        return [int(x) for x in self.arr]

    def target(self):
        return list(self.lst)

    def mutate_source(self):
        self.arr[0] = 111

    def write_target(self):
        self.lst[1] = 222
