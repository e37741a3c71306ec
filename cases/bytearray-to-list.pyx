cdef class bytearray_to_list:
    cdef bytearray ba
    cdef list lst

    def __init__(self):
        self.ba = bytearray(b"choco")
        self.lst = list(self.ba)                # the conversion under test

    def source(self):
        return bytearray(self.ba)

    def target(self):
        return list(self.lst)

    def mutate_source(self):
        self.ba[0] = ord("z")

    def write_target(self):
        self.lst[1] = ord("W")

    def resize_source(self):
        self.ba.extend(b"x" * 4096)
