cdef extern from "Python.h":
    char* PyByteArray_AS_STRING(object bytearray)


cdef class bytearray_to_char_pointer:
    cdef bytearray ba
    cdef char* p
    cdef Py_ssize_t n

    def __init__(self):
        self.ba = bytearray(b"choco")
        self.n = len(self.ba)
        self.p = self.ba                    # the conversion under test (no copy, no lock)

    def source(self):
        return bytearray(self.ba)

    def target(self):
        return [self.p[i] for i in range(self.n)]

    def mutate_source(self):
        self.ba[0] = ord("z")

    def write_target(self):
        self.p[1] = ord("W")

    def resize_source(self):
        # grow far beyond the original allocation: the storage is reallocated and self.p
        # dangles from here on (nothing reads through it here)
        self.ba.extend(b"x" * (1 << 22))

    def addresses(self):
        return <size_t>PyByteArray_AS_STRING(self.ba), <size_t>self.p
