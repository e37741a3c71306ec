import numpy as np
cimport numpy as cnp


cdef class numpy_to_c_array:
    cdef cnp.ndarray arr
    cdef long c[4]

    def __init__(self):
        cdef long[:] arr_view
        cdef long[::1] c_view = self.c          # a typed memoryview of the C array
        self.arr = np.array([0, 1, 2, 3], dtype=np.int_)
        arr_view = self.arr
        c_view[:] = arr_view                    # the conversion under test

    def source(self):
        return [int(x) for x in self.arr]

    def target(self):
        return [self.c[i] for i in range(4)]

    def mutate_source(self):
        self.arr[0] = 111

    def write_target(self):
        self.c[1] = 222

    def addresses(self):
        return self.arr.__array_interface__['data'][0], <size_t>&self.c[0]
