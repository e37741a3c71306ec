from cpython cimport array
import array


cdef class int_memoryview_copy:
    cdef array.array ar
    cdef int[:] mv
    cdef int[:] mv2

    def __init__(self):
        self.ar = array.array('i', [0, 1, 2, 3])
        self.mv = self.ar
        self.mv2 = self.mv.copy()           # the conversion under test
        self.mv = None                      # only the copy lives on: does it pin the source?

    def source(self):
        return self.ar.tolist()

    def target(self):
        return [self.mv2[i] for i in range(self.mv2.shape[0])]

    def mutate_source(self):
        self.ar[0] = 333

    def write_target(self):
        self.mv2[1] = 444

    def resize_source(self):
        # Python-level growth: array.array checks its buffer exports before reallocating
        self.ar.extend(array.array('i', range(4096)))

    def addresses(self):
        return self.ar.buffer_info()[0], <size_t>&self.mv2[0]
