from cpython.bytes cimport PyBytes_AS_STRING
from libc.string cimport memcpy


cdef class char_pointer_slice_to_bytes:
    cdef char buf[6]
    cdef bytes by

    def __init__(self):
        memcpy(self.buf, b"ch\0co", 6)      # an embedded NUL: <bytes>ptr would stop there
        cdef char* p = self.buf
        self.by = p[:5]                      # the conversion under test

    def source(self):
        return [self.buf[i] for i in range(5)]

    def target(self):
        return bytearray(self.by)

    def mutate_source(self):
        self.buf[0] = ord("z")

    def write_target(self):
        # bytes refuses item assignment (through an untyped reference: Cython 3.3.1 emits
        # invalid C for item assignment to a variable typed `bytes`)
        cdef object target = self.by
        target[1] = ord("W")

    def addresses(self):
        return <size_t>&self.buf[0], <size_t>PyBytes_AS_STRING(self.by)
