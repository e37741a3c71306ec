from cpython cimport array
import array


cdef class array_to_c_array:
    cdef array.array ar
    cdef int c[4]

    def __init__(self):
        self.ar = array.array('i', [0, 1, 2, 3])
        self.c = self.ar                    # the conversion under test

    def source(self):
        return self.ar.tolist()

    def target(self):
        return [self.c[i] for i in range(4)]

    def mutate_source(self):
        self.ar[0] = 111

    def write_target(self):
        self.c[1] = 222

    def resize_source(self):
        self.ar.extend(array.array('i', range(4096)))

    def addresses(self):
        return self.ar.buffer_info()[0], <size_t>&self.c[0]
