# cython: language_level=2
cdef class str_literal_to_char_pointer_level_two:
    cdef char* p

    def __init__(self):
        self.p = "choco"                        # the conversion under test

    def source(self):
        return list(bytearray(b"choco"))

    def target(self):
        return [self.p[i] for i in range(5)]
