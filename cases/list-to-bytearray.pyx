cdef class list_to_bytearray:
    cdef list pl
    cdef bytearray ba

    def __init__(self):
        self.pl = [99, 104, 111, 99, 111]
        self.ba = bytearray(self.pl)        # the conversion under test

    def source(self):
        return list(self.pl)

    def target(self):
        return list(bytearray(self.ba))

    def mutate_source(self):
        self.pl[0] = ord("z")

    def write_target(self):
        self.ba[1] = ord("W")

    def resize_source(self):
        self.pl.extend([120] * 4096)
