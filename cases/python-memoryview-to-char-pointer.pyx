cdef extern from "Python.h":
    char* PyByteArray_AS_STRING(object bytearray)


cdef class python_memoryview_to_char_pointer:
    cdef bytearray ba
    cdef object m                               # a Python memoryview
    cdef char[:] v
    cdef char* p

    def __init__(self):
        self.ba = bytearray(b"choco")
        m = memoryview(self.ba)                 # the source: a Python memoryview over a bytearray
        self.m = m
        self.v = m
        self.p = &self.v[0]                     # the conversion under test

    def source(self):
        return self.m.tolist()

    def target(self):
        return [self.p[i] for i in range(len(self.m))]

    def mutate_source(self):
        # slice assignment: the same spelling works on Python 2 and 3
        self.m[0:1] = b"z"

    def write_target(self):
        self.p[1] = ord("W")

    def resize_source(self):
        # the memoryviews cannot be resized; the bytearray behind them is what would move
        self.ba.extend(b"x" * 4096)

    def addresses(self):
        return <size_t>PyByteArray_AS_STRING(self.ba), <size_t>self.p
