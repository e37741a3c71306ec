import numpy as np
cimport numpy as cnp


cdef class pointer_to_numpy_guide:
    cdef cnp.ndarray np1              # owns the memory behind the raw pointer (as in the guide)
    cdef long* rp1
    cdef object np2

    def __init__(self):
        cdef int shape = 4
        self.np1 = np.zeros([4], np.int_)
        self.np1[:] = [0, 1, 2, 3]
        self.rp1 = <long*>cnp.PyArray_DATA(self.np1)
        # the conversion under test, verbatim: int shape, no import_array()
        self.np2 = cnp.PyArray_SimpleNewFromData(1, &shape, cnp.NPY_LONG, self.rp1)

    def source(self):
        return [self.rp1[i] for i in range(4)]

    def target(self):
        return [int(x) for x in self.np2]

    def mutate_source(self):
        self.rp1[0] = 555

    def write_target(self):
        self.np2[1] = 666

    def addresses(self):
        return <size_t>self.rp1, self.np2.__array_interface__['data'][0]
