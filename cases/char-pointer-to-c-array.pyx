from libc.string cimport memcpy


cdef class char_pointer_to_c_array:
    cdef char buf[5]                  # the memory behind the raw pointer, owned by the case
    cdef char* p
    cdef char arr[5]

    def __init__(self):
        memcpy(self.buf, b"choco", 5)
        self.p = self.buf
        memcpy(self.arr, self.p, 5)             # the conversion under test

    def source(self):
        return [self.p[i] for i in range(5)]

    def target(self):
        return [self.arr[i] for i in range(5)]

    def mutate_source(self):
        self.p[0] = ord("z")

    def write_target(self):
        self.arr[1] = ord("W")

    def addresses(self):
        return <size_t>self.p, <size_t>&self.arr[0]
