from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize


cdef class c_array_to_bytes:
    cdef char c[5]
    cdef bytes by

    def __init__(self):
        cdef char* text = b"choco"
        cdef int i
        for i in range(5):
            self.c[i] = text[i]
        self.by = PyBytes_FromStringAndSize(self.c, 5)   # the conversion under test

    def source(self):
        return [self.c[i] for i in range(5)]

    def target(self):
        return list(bytearray(self.by))

    def mutate_source(self):
        self.c[0] = ord("z")

    def write_target(self):
        # bytes refuses item assignment (through an untyped reference, as memoryview-tobytes)
        cdef object target = self.by
        target[1] = ord("W")

    def addresses(self):
        return <size_t>&self.c[0], <size_t>PyBytes_AS_STRING(self.by)
