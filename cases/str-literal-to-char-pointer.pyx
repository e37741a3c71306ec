cdef class str_literal_to_char_pointer:
    cdef char* p

    def __init__(self):
        self.p = "choco"                        # the conversion under test

    def source(self):
        return list(bytearray(b"choco"))

    def target(self):
        return [self.p[i] for i in range(5)]
