cdef class c_array_to_bytearray:
    cdef char c[5]
    cdef bytearray ba

    def __init__(self):
        cdef char* text = b"choco"
        cdef int i
        for i in range(5):
            self.c[i] = text[i]
        self.ba = bytearray(<char[:5]> self.c)   # the conversion under test

    def source(self):
        return [self.c[i] for i in range(5)]

    def target(self):
        return list(bytearray(self.ba))

    def mutate_source(self):
        self.c[0] = ord("z")

    def write_target(self):
        self.ba[1] = ord("W")

    def addresses(self):
        cdef char* target = self.ba
        return <size_t>&self.c[0], <size_t>target
