from libcpp.string cimport string


cdef class bytearray_to_cpp_string:
    cdef bytearray ba
    cdef string s

    def __init__(self):
        self.ba = bytearray(b"choco")
        self.s = self.ba                        # the conversion under test

    def source(self):
        return bytearray(self.ba)

    def target(self):
        return [<unsigned char>self.s[i] for i in range(self.s.size())]

    def mutate_source(self):
        self.ba[0] = ord("z")

    def write_target(self):
        self.s[1] = b"W"[0]
