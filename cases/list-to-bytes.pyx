cdef class list_to_bytes:
    cdef list pl
    cdef bytes by

    def __init__(self):
        self.pl = [99, 104, 111, 99, 111]
        self.by = bytes(self.pl)            # the conversion under test

    def source(self):
        return list(self.pl)

    def target(self):
        return list(bytearray(self.by))

    def mutate_source(self):
        self.pl[0] = ord("z")

    def write_target(self):
        # bytes refuses item assignment (through an untyped reference, as memoryview-tobytes)
        cdef object target = self.by
        target[1] = ord("W")

    def resize_source(self):
        self.pl.extend([120] * 4096)
