from cpython cimport array
import array


cdef class int_memoryview_to_list:
    cdef array.array ar                     # owns the memory the memoryview views
    cdef int[:] mv
    cdef list lst

    def __init__(self):
        self.ar = array.array('i', [0, 1, 2, 3])
        self.mv = self.ar
        self.lst = list(self.mv)            # the conversion under test

    def source(self):
        return [self.mv[i] for i in range(self.mv.shape[0])]

    def target(self):
        return list(self.lst)

    def mutate_source(self):
        self.mv[0] = 333

    def write_target(self):
        self.lst[1] = 444
