cdef class c_array_to_int_memoryview:
    cdef int c[4]
    cdef int[:] mv

    def __init__(self):
        cdef int i
        for i in range(4):
            self.c[i] = i
        self.mv = self.c                    # the conversion under test

    def source(self):
        return [self.c[i] for i in range(4)]

    def target(self):
        return [self.mv[i] for i in range(self.mv.shape[0])]

    def mutate_source(self):
        self.c[0] = 555

    def write_target(self):
        self.mv[1] = 666

    def addresses(self):
        return <size_t>&self.c[0], <size_t>&self.mv[0]
