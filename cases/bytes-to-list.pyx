from cpython.bytes cimport PyBytes_AS_STRING


cdef class bytes_to_list:
    cdef bytes b
    cdef list lst

    def __init__(self):
        self.b = bytes(bytearray(b"choco"))     # a fresh bytes object, not a shared constant
        self.lst = list(self.b)                 # the conversion under test

    def source(self):
        return bytearray(self.b)

    def target(self):
        return list(self.lst)

    def mutate_source(self):
        # bytes are immutable for Python code; change the memory itself to see who shares it
        cdef char* storage = PyBytes_AS_STRING(self.b)
        storage[0] = ord("z")

    def write_target(self):
        self.lst[1] = ord("W")
