cdef class c_array_to_int_pointer:
    cdef int c[4]
    cdef int* p

    def __init__(self):
        cdef int i
        for i in range(4):
            self.c[i] = i
        self.p = self.c                     # the conversion under test

    def source(self):
        return [self.c[i] for i in range(4)]

    def target(self):
        return [self.p[i] for i in range(4)]

    def mutate_source(self):
        self.c[0] = 555

    def write_target(self):
        self.p[1] = 666

    def addresses(self):
        return <size_t>&self.c[0], <size_t>self.p
