cdef class char_memoryview_to_bytearray:
    cdef bytearray ba                       # owns the memory the memoryview views
    cdef char[:] mv
    cdef bytearray ba2

    def __init__(self):
        self.ba = bytearray(b"choco")
        self.mv = self.ba                   # the source: a Cython memoryview over a bytearray
        self.ba2 = bytearray(self.mv)       # the conversion under test

    def source(self):
        return [self.mv[i] for i in range(self.mv.shape[0])]

    def target(self):
        return list(bytearray(self.ba2))

    def mutate_source(self):
        self.mv[0] = ord("z")

    def write_target(self):
        self.ba2[1] = ord("W")

    def addresses(self):
        cdef char* target = self.ba2
        return <size_t>&self.mv[0], <size_t>target
