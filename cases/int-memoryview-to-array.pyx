from cpython cimport array
import array


cdef class int_memoryview_to_array:
    cdef array.array ar                         # owns the memory the memoryview views
    cdef int[:] mv
    cdef array.array ar2

    def __init__(self):
        self.ar = array.array('i', [0, 1, 2, 3])
        self.mv = self.ar
        self.ar2 = array.array(self.mv.base.typecode, self.mv)   # the conversion under test

    def source(self):
        return [self.mv[i] for i in range(self.mv.shape[0])]

    def target(self):
        return self.ar2.tolist()

    def mutate_source(self):
        self.mv[0] = 333

    def write_target(self):
        self.ar2[1] = 444

    def addresses(self):
        return <size_t>&self.mv[0], self.ar2.buffer_info()[0]
