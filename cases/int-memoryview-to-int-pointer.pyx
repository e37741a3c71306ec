from cpython cimport array
import array


cdef class int_memoryview_to_int_pointer:
    cdef array.array ar                         # owns the memory the memoryview views
    cdef int[:] mv
    cdef int* rp

    def __init__(self):
        self.ar = array.array('i', [0, 1, 2, 3])
        self.mv = self.ar
        self.rp = <int*>&self.mv[0]             # the conversion under test

    def source(self):
        return [self.mv[i] for i in range(self.mv.shape[0])]

    def target(self):
        return [self.rp[i] for i in range(self.mv.shape[0])]

    def mutate_source(self):
        self.mv[0] = 333

    def write_target(self):
        self.rp[1] = 444

    def resize_source(self):
        # the array behind the memoryview: locked while the memoryview holds its buffer
        self.ar.extend(array.array('i', range(4096)))

    def addresses(self):
        return self.ar.buffer_info()[0], <size_t>self.rp
