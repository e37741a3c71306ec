cdef class list_to_int_memoryview:
    cdef list pl
    cdef int[:] mv

    def __init__(self):
        self.pl = [0, 1, 2, 3]
        self.mv = self.pl                   # the conversion under test

    def source(self):
        return list(self.pl)

    def target(self):
        return [self.mv[i] for i in range(self.mv.shape[0])]

    def mutate_source(self):
        self.pl[0] = 111

    def write_target(self):
        self.mv[1] = 222

    def resize_source(self):
        self.pl.extend(range(4096))
