cdef class list_to_c_array:
    cdef list pl
    cdef int[3] c

    def __init__(self):
        self.pl = [1, 2, 3]
        self.c = self.pl                        # the conversion under test

    def source(self):
        return list(self.pl)

    def target(self):
        return [self.c[i] for i in range(3)]

    def mutate_source(self):
        self.pl[0] = 666

    def write_target(self):
        self.c[1] = 777

    def resize_source(self):
        self.pl.extend(range(4096))
