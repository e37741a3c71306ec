from cpython cimport array
import array


cdef class c_array_to_array:
    cdef int c[4]
    cdef array.array ar

    def __init__(self):
        cdef int i
        for i in range(4):
            self.c[i] = i
        self.ar = array.array('i', self.c)  # the conversion under test

    def source(self):
        return [self.c[i] for i in range(4)]

    def target(self):
        return self.ar.tolist()

    def mutate_source(self):
        self.c[0] = 555

    def write_target(self):
        self.ar[1] = 666

    def addresses(self):
        return <size_t>&self.c[0], self.ar.buffer_info()[0]
