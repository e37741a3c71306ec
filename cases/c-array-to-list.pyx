cdef class c_array_to_list:
    cdef int[3] c
    cdef list pl2

    def __init__(self):
        self.c[0] = 1
        self.c[1] = 2
        self.c[2] = 3
        self.pl2 = self.c                       # the conversion under test

    def source(self):
        return [self.c[i] for i in range(3)]

    def target(self):
        return list(self.pl2)

    def mutate_source(self):
        self.c[0] = 666

    def write_target(self):
        self.pl2[1] = 777
