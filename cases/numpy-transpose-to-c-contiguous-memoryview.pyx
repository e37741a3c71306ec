import numpy as np
cimport numpy as cnp


cdef class numpy_transpose_to_c_contiguous_memoryview:
    cdef cnp.ndarray base_arr                   # C-ordered, 3 x 2: owns the memory
    cdef cnp.ndarray arr
    cdef cnp.intp_t[:, ::1] mv

    def __init__(self):
        self.base_arr = np.arange(6, dtype=np.intp).reshape(3, 2)
        self.arr = self.base_arr.T              # 2 x 3, a view: Fortran-ordered memory
        self.mv = self.arr                      # the conversion under test

    def source(self):
        # the elements in one fixed, logical row-major order (whatever the memory order)
        return [int(x) for x in self.arr.ravel(order="C")]

    def target(self):
        return [self.mv[i, j] for i in range(self.mv.shape[0]) for j in range(self.mv.shape[1])]

    def mutate_source(self):
        self.arr[0, 0] = 111

    def write_target(self):
        self.mv[0, 1] = 222

    def addresses(self):
        return self.arr.__array_interface__['data'][0], <size_t>&self.mv[0, 0]
