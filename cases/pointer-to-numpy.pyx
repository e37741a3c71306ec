from libc.stdlib cimport malloc, free
import numpy as np
cimport numpy as cnp


cdef class pointer_to_numpy_owner:
    """Owns a malloc'd buffer of C longs; freed when the last reference (the array's base) goes."""
    cdef long* data

    def __cinit__(self, Py_ssize_t n):
        self.data = <long*>malloc(n * sizeof(long))
        if self.data == NULL:
            raise MemoryError()

    def __dealloc__(self):
        free(self.data)


cdef class pointer_to_numpy:
    cdef long* rp1
    cdef cnp.ndarray np2

    def __init__(self):
        cdef cnp.npy_intp shape[1]
        cdef pointer_to_numpy_owner owner = pointer_to_numpy_owner(4)
        cdef int i
        cnp.import_array()                      # the C-API table must be loaded (Cython < 3)
        for i in range(4):
            owner.data[i] = i
        self.rp1 = owner.data
        shape[0] = 4
        # the conversion under test
        self.np2 = cnp.PyArray_SimpleNewFromData(1, shape, cnp.NPY_LONG, self.rp1)
        cnp.set_array_base(self.np2, owner)     # the array now keeps the owner (and the memory) alive

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
