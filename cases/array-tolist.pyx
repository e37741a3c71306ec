from cpython cimport array
import array


cdef class array_tolist:
    cdef array.array ar
    cdef list lst

    def __init__(self):
        self.ar = array.array('i', [0, 1, 2, 3])
        self.lst = self.ar.tolist()         # the conversion under test

    def source(self):
        return self.ar.tolist()

    def target(self):
        return list(self.lst)

    def mutate_source(self):
        self.ar[0] = 111

    def write_target(self):
        self.lst[1] = 222

    def resize_source(self):
        self.ar.extend(array.array('i', range(4096)))
