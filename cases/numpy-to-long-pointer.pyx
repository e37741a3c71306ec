import numpy as np
cimport numpy as cnp


cdef class numpy_to_long_pointer:
    cdef cnp.ndarray np1
    cdef cnp.ndarray control
    cdef long* rp1
    cdef Py_ssize_t n

    def __init__(self):
        self.np1 = np.zeros([4], np.int_)
        if self.np1.itemsize != sizeof(long):
            raise TypeError("np.int_ is not C long here (itemsize %d)" % self.np1.itemsize)
        self.np1[:] = [0, 1, 2, 3]
        self.n = self.np1.shape[0]
        self.rp1 = <long*>cnp.PyArray_DATA(self.np1)   # the conversion under test

    def source(self):
        return self.np1.tolist()

    def target(self):
        return [self.rp1[i] for i in range(self.n)]

    def mutate_source(self):
        self.np1[0] = 222

    def write_target(self):
        self.rp1[1] = 333

    def resize_source(self):
        # Control first: an array nothing else references, resized the same way.  Where
        # numpy's refcheck refuses even that (Cython >= 3.1 on Python <= 3.8 holds an extra
        # reference during the call), the refusal says nothing about the target: cannot tell.
        self.control = np.zeros([4], np.int_)
        try:
            self.control.resize(4096)
        except ValueError as exc:
            raise NotImplementedError("cannot tell: numpy refcheck refuses an unshared array here too: "
                                      + " ".join(str(exc).split()))
        # a raw pointer holds no reference, so numpy's refcheck lets this reallocate and
        # rp1 dangles (the runner never reads through the target after this probe)
        self.np1.resize(4096)

    def addresses(self):
        return self.np1.__array_interface__['data'][0], <size_t>self.rp1
