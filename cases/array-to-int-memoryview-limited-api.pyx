from cpython cimport array
import array


cdef class array_to_int_memoryview_limited_api:
    cdef array.array ar
    cdef int[:] mv

    def __init__(self):
        self.ar = array.array('i', [0, 1, 2, 3])
        self.mv = self.ar                       # the conversion under test

    def source(self):
        return self.ar.tolist()

    def target(self):
        return [self.mv[i] for i in range(self.mv.shape[0])]

    def mutate_source(self):
        self.ar[0] = 111

    def write_target(self):
        self.mv[1] = 222

    def resize_source(self):
        # Python-level growth: array.array checks its buffer exports before reallocating
        self.ar.extend(array.array('i', range(4096)))

    def addresses(self):
        return self.ar.buffer_info()[0], <size_t>&self.mv[0]
