cdef extern from "Python.h":
    char* PyByteArray_AS_STRING(object bytearray)


cdef class memoryview_to_char_pointer:
    cdef bytearray ba
    cdef char[:] mv
    cdef char* p

    def __init__(self):
        self.ba = bytearray(b"choco")
        self.mv = self.ba                   # the source: a Cython memoryview over a bytearray
        self.p = &self.mv[0]                # the conversion under test

    def source(self):
        return [self.mv[i] for i in range(self.mv.shape[0])]

    def target(self):
        return [self.p[i] for i in range(self.mv.shape[0])]

    def mutate_source(self):
        self.mv[0] = ord("z")

    def write_target(self):
        self.p[1] = ord("W")

    def resize_source(self):
        # the memoryview cannot be resized; the bytearray behind it is what would move
        self.ba.extend(b"x" * (1 << 22))

    def addresses(self):
        # the view's first element is the bytearray's first byte
        return <size_t>PyByteArray_AS_STRING(self.ba), <size_t>self.p
