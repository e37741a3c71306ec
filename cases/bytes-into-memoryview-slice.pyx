from cpython.bytes cimport PyBytes_AS_STRING


cdef class bytes_into_memoryview_slice:
    cdef bytes b
    cdef bytearray ba                   # the memory the target views
    cdef unsigned char[:] mv

    def __init__(self):
        cdef object view
        # a fresh bytes object (a literal may be interned and shared), so that mutating it
        # in mutate_source cannot disturb anything else
        self.b = bytes(bytearray(b"choco"))
        self.ba = bytearray(len(self.b))
        self.mv = self.ba
        view = self.mv                      # the typed memoryview's Python object
        view[:] = self.b                    # the conversion under test

    def source(self):
        return bytearray(self.b)

    def target(self):
        return [self.mv[i] for i in range(self.mv.shape[0])]

    def mutate_source(self):
        # bytes is immutable from Python; change it behind Python's back through its storage
        cdef char* storage = PyBytes_AS_STRING(self.b)
        storage[0] = ord("z")

    def write_target(self):
        self.mv[1] = ord("W")

    def addresses(self):
        return <size_t>PyBytes_AS_STRING(self.b), <size_t>&self.mv[0]
