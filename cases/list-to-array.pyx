from cpython cimport array
import array


cdef class list_to_array:
    cdef list pl
    cdef array.array ar

    def __init__(self):
        self.pl = [0, 1, 2, 3]
        self.ar = array.array('i', self.pl)  # the conversion under test

    def source(self):
        return list(self.pl)

    def target(self):
        return self.ar.tolist()

    def mutate_source(self):
        self.pl[0] = 111

    def write_target(self):
        self.ar[1] = 222

    def resize_source(self):
        self.pl.extend(range(4096))
