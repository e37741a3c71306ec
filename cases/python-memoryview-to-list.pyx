cdef class python_memoryview_to_list:
    cdef bytearray ba
    cdef object m                               # a Python memoryview
    cdef list lst

    def __init__(self):
        self.ba = bytearray(b"choco")
        m = memoryview(self.ba)                 # the source: a Python memoryview over a bytearray
        self.m = m
        self.lst = m.tolist()                   # the conversion under test

    def source(self):
        return bytearray(self.ba)

    def target(self):
        return list(self.lst)

    def mutate_source(self):
        # slice assignment: the same spelling works on Python 2 and 3
        self.m[0:1] = b"z"

    def write_target(self):
        self.lst[1] = ord("W")
