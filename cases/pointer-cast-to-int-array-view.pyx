cdef class pointer_cast_to_int_array_view:
    cdef int data[4]                  # the memory behind the raw pointer, owned by the case
    cdef int* rp
    cdef int[:] mv

    def __init__(self):
        cdef int i
        for i in range(4):
            self.data[i] = i
        self.rp = self.data
        self.mv = <int[:4]> self.rp             # the conversion under test

    def source(self):
        return [self.rp[i] for i in range(4)]

    def target(self):
        return [self.mv[i] for i in range(self.mv.shape[0])]

    def mutate_source(self):
        self.rp[0] = 555

    def write_target(self):
        self.mv[1] = 666

    def addresses(self):
        return <size_t>self.rp, <size_t>&self.mv[0]
