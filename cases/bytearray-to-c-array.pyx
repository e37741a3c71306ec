cdef extern from "Python.h":
    char* PyByteArray_AS_STRING(object bytearray)


cdef class bytearray_to_c_array:
    cdef bytearray ba
    cdef char arr[5]

    def __init__(self):
        self.ba = bytearray(b"choco")
        self.arr[:5] = self.ba                  # the conversion under test

    def source(self):
        return bytearray(self.ba)

    def target(self):
        return [self.arr[i] for i in range(5)]

    def mutate_source(self):
        self.ba[0] = ord("z")

    def write_target(self):
        self.arr[1] = ord("W")

    def resize_source(self):
        self.ba.extend(b"x" * 4096)

    def addresses(self):
        return <size_t>PyByteArray_AS_STRING(self.ba), <size_t>&self.arr[0]
