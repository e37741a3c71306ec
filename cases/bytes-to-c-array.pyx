from cpython.bytes cimport PyBytes_AS_STRING


cdef class bytes_to_c_array:
    cdef bytes b
    cdef char arr[5]

    def __init__(self):
        self.b = bytes(bytearray(b"choco"))     # a fresh bytes object, not a shared constant
        self.arr[:5] = self.b                   # the conversion under test

    def source(self):
        return bytearray(self.b)

    def target(self):
        return [self.arr[i] for i in range(5)]

    def mutate_source(self):
        # bytes are immutable for Python code; change the memory itself to see who shares it
        cdef char* storage = PyBytes_AS_STRING(self.b)
        storage[0] = ord("z")

    def write_target(self):
        self.arr[1] = ord("W")

    def addresses(self):
        return <size_t>PyBytes_AS_STRING(self.b), <size_t>&self.arr[0]
