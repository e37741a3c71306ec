from cpython cimport array
import array


cdef class array_to_bytearray:
    cdef array.array ar
    cdef bytearray ba

    def __init__(self):
        self.ar = array.array('B', [99, 104, 111, 99, 111])
        self.ba = bytearray(self.ar)        # the conversion under test

    def source(self):
        return self.ar.tolist()

    def target(self):
        return list(bytearray(self.ba))

    def mutate_source(self):
        self.ar[0] = ord("z")

    def write_target(self):
        self.ba[1] = ord("W")

    def resize_source(self):
        self.ar.extend(array.array('B', [120]) * 4096)

    def addresses(self):
        cdef char* target = self.ba
        return self.ar.buffer_info()[0], <size_t>target
