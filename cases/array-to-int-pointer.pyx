from cpython cimport array
import array


cdef class array_to_int_pointer:
    cdef array.array ar
    cdef int* rp
    cdef Py_ssize_t n

    def __init__(self):
        self.ar = array.array('i', [0, 1, 2, 3])
        self.rp = <int*>self.ar.data.as_voidptr   # the conversion under test
        self.n = len(self.ar)

    def source(self):
        return self.ar.tolist()

    def target(self):
        return [self.rp[i] for i in range(self.n)]

    def mutate_source(self):
        self.ar[0] = 111

    def write_target(self):
        self.rp[1] = 222

    def resize_source(self):
        # nothing is exported, so this is expected to succeed and leave rp dangling
        # (the runner never reads through the target after this probe)
        self.ar.extend(array.array('i', range(4096)))

    def addresses(self):
        return self.ar.buffer_info()[0], <size_t>self.rp
