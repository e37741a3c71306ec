# The toolchain control for core cells: no memory idiom at all.  Where this fails, the
# Python x Cython x compiler combination builds nothing; a case failing there at the same
# stage has hit the toolchain, not its own idiom.
cdef class control_plain:
    cdef list values
    cdef list kept

    def __init__(self):
        self.values = [1, 2, 3]
        self.kept = list(self.values)

    def source(self):
        return self.values

    def target(self):
        return self.kept

    def mutate_source(self):
        self.values[0] = 7
