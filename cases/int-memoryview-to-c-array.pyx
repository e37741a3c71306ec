from cpython cimport array
import array


cdef class int_memoryview_to_c_array:
    cdef array.array ar                     # owns the memory the memoryview views
    cdef int[:] mv
    cdef int c[4]

    def __init__(self):
        cdef int[:] dst
        self.ar = array.array('i', [0, 1, 2, 3])
        self.mv = self.ar
        # `self.c[:4] = self.mv` does not compile (Cannot assign type 'int[:]' to 'int *'):
        # the copy goes through a typed memoryview of the C array
        dst = self.c
        dst[:] = self.mv                    # the conversion under test

    def source(self):
        return [self.mv[i] for i in range(self.mv.shape[0])]

    def target(self):
        return [self.c[i] for i in range(4)]

    def mutate_source(self):
        self.mv[0] = 333

    def write_target(self):
        self.c[1] = 444

    def addresses(self):
        return <size_t>&self.mv[0], <size_t>&self.c[0]
