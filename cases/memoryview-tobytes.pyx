from cpython.bytes cimport PyBytes_AS_STRING


cdef class memoryview_tobytes:
    cdef bytearray ba
    cdef char[:] mv
    cdef bytes by

    def __init__(self):
        self.ba = bytearray(b"choco")
        self.mv = self.ba                   # the source: a Cython memoryview over a bytearray
        self.by = memoryview(self.mv).tobytes()   # the conversion under test

    def source(self):
        return [self.mv[i] for i in range(self.mv.shape[0])]

    def target(self):
        return bytearray(self.by)

    def mutate_source(self):
        self.mv[0] = ord("z")

    def write_target(self):
        # bytes refuses item assignment (through an untyped reference: Cython 3.3.1 emits
        # invalid C for item assignment to a variable typed `bytes`)
        cdef object target = self.by
        target[1] = ord("W")

    def addresses(self):
        return <size_t>&self.mv[0], <size_t>PyBytes_AS_STRING(self.by)
