from cpython cimport array
import array


cdef class int_pointer_to_array:
    cdef int data[4]                  # the memory behind the raw pointer, owned by the case
    cdef int* rp1
    cdef array.array ar3

    def __init__(self):
        cdef int i
        for i in range(4):
            self.data[i] = i
        self.rp1 = self.data
        self.ar3 = array.array('i', [])
        array.extend_buffer(self.ar3, <char*>self.rp1, 4)   # the conversion under test

    def source(self):
        return [self.rp1[i] for i in range(4)]

    def target(self):
        return self.ar3.tolist()

    def mutate_source(self):
        self.rp1[0] = 666

    def write_target(self):
        self.ar3[1] = 777

    def addresses(self):
        return <size_t>self.rp1, self.ar3.buffer_info()[0]
