from libc.string cimport memcpy


cdef class char_pointer_slice_to_const_uchar_memoryview:
    cdef char buf[5]
    cdef const unsigned char[:] mv

    def __init__(self):
        memcpy(self.buf, b"choco", 5)
        cdef unsigned char* p = <unsigned char*>self.buf
        self.mv = p[:5]                     # the conversion under test

    def source(self):
        return [self.buf[i] for i in range(5)]

    def target(self):
        return [self.mv[i] for i in range(self.mv.shape[0])]

    def mutate_source(self):
        self.buf[0] = ord("z")

    def write_target(self):
        # `self.mv[1] = ...` is refused by the compiler (const); at run time the view's
        # Python object checks the readonly flag of the buffer it was given
        cdef object view = self.mv
        view[1] = ord("W")

    def addresses(self):
        return <size_t>&self.buf[0], <size_t>&self.mv[0]
