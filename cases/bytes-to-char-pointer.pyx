from cpython.bytes cimport PyBytes_AS_STRING


cdef class bytes_to_char_pointer:
    cdef bytes b
    cdef char* p
    cdef Py_ssize_t n

    def __init__(self):
        # a fresh bytes object: a literal may be interned and shared with other code
        self.b = bytes(bytearray(b"choco"))
        self.n = len(self.b)
        self.p = self.b                     # the conversion under test

    def source(self):
        return bytearray(self.b)

    def target(self):
        return [self.p[i] for i in range(self.n)]

    def mutate_source(self):
        # bytes is immutable from Python; change it behind Python's back through its storage
        cdef char* storage = PyBytes_AS_STRING(self.b)
        storage[0] = ord("z")

    def write_target(self):
        # nothing stops this: the pointer is not const although bytes are immutable
        self.p[1] = ord("W")

    def addresses(self):
        return <size_t>PyBytes_AS_STRING(self.b), <size_t>self.p
