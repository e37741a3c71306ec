cdef class bytearray_to_char_memoryview_freethreading:
    cdef bytearray ba
    cdef char[:] mv

    def __init__(self):
        self.ba = bytearray(b"choco")
        self.mv = self.ba

    def source(self):
        return bytearray(self.ba)

    def target(self):
        return [self.mv[i] for i in range(self.mv.shape[0])]

    def mutate_source(self):
        self.ba[0] = ord("z")

    def write_target(self):
        self.mv[1] = ord("W")

    def resize_source(self):
        self.ba.extend(b"x" * 4096)

    def addresses(self):
        cdef char* source = self.ba
        return <size_t>source, <size_t>&self.mv[0]
