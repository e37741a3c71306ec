import numpy as np
cimport numpy as cnp


cdef class numpy_strided_slice_to_contiguous_memoryview:
    cdef cnp.ndarray base_arr                   # owns the memory
    cdef cnp.ndarray arr
    cdef cnp.intp_t[::1] mv

    def __init__(self):
        self.base_arr = np.arange(8, dtype=np.intp)
        self.arr = self.base_arr[::2]       # a strided 1-D slice, arr[::2]
        self.mv = self.arr                      # the conversion under test

    def source(self):
        return [int(x) for x in self.arr]

    def target(self):
        return [self.mv[i] for i in range(self.mv.shape[0])]

    def mutate_source(self):
        self.arr[0] = 111

    def write_target(self):
        self.mv[1] = 222

    def addresses(self):
        # both: the address of the logical element 0
        return self.arr.__array_interface__['data'][0], <size_t>&self.mv[0]
