from libc.string cimport memcpy


cdef class char_pointer_cast_to_char_memoryview:
    cdef char buf[5]
    cdef char[:] mv

    def __init__(self):
        memcpy(self.buf, b"choco", 5)
        cdef char* p = self.buf
        self.mv = <char[:5]>p               # the conversion under test: a cython.view.array over p

    def source(self):
        return [self.buf[i] for i in range(5)]

    def target(self):
        return [self.mv[i] for i in range(self.mv.shape[0])]

    def mutate_source(self):
        self.buf[0] = ord("z")

    def write_target(self):
        self.mv[1] = ord("W")

    def addresses(self):
        return <size_t>&self.buf[0], <size_t>&self.mv[0]
