from cpython.bytes cimport PyBytes_AsString


cdef class bytes_to_const_uchar_memoryview_limited_api:
    cdef bytes b
    cdef const unsigned char[:] mv

    def __init__(self):
        # a fresh bytes object (a literal may be interned and shared), so that mutating it
        # in mutate_source cannot disturb anything else
        self.b = bytes(bytearray(b"choco"))
        self.mv = self.b                    # the conversion under test

    def source(self):
        return bytearray(self.b)

    def target(self):
        return [self.mv[i] for i in range(self.mv.shape[0])]

    def mutate_source(self):
        # bytes is immutable from Python; change it behind Python's back through its storage
        cdef char* storage = PyBytes_AsString(self.b)
        storage[0] = ord("z")

    def write_target(self):
        # `self.mv[1] = ...` is refused by the compiler (const); at run time the view's
        # Python object checks the readonly flag of the buffer it was given
        cdef object view = self.mv
        view[1] = ord("W")

    def addresses(self):
        return <size_t>PyBytes_AsString(self.b), <size_t>&self.mv[0]
