import numpy as np
cimport numpy as cnp


cdef class numpy_2d_fortran_to_fortran_contiguous_memoryview:
    cdef cnp.ndarray arr
    cdef cnp.ndarray control
    cdef cnp.intp_t[::1, :] mv

    def __init__(self):
        self.arr = np.array([[0, 1, 2], [3, 4, 5]], dtype=np.intp, order='F')  # Fortran-ordered, 2 x 3
        self.mv = self.arr                      # the conversion under test

    def source(self):
        # the elements in one fixed, logical row-major order (whatever the memory order)
        return [int(x) for x in self.arr.ravel(order="C")]

    def target(self):
        return [self.mv[i, j] for i in range(self.mv.shape[0]) for j in range(self.mv.shape[1])]

    def mutate_source(self):
        self.arr[0, 0] = 111

    def write_target(self):
        self.mv[0, 1] = 222

    def resize_source(self):
        # Control first: an array nothing else references, made and resized the same way.
        # Where numpy's refcheck refuses even that (Cython >= 3.1 on Python <= 3.8 holds an
        # extra reference during the call), the refusal says nothing about the target.
        self.control = np.zeros((2, 3), np.intp, order='F')
        try:
            self.control.resize(4096)
        except ValueError as exc:
            raise NotImplementedError("cannot tell: numpy refcheck refuses an unshared array here too: "
                                      + " ".join(str(exc).split()))
        # numpy refuses to resize an array that something else references (its refcheck)
        # with ValueError, not the BufferError of other PEP 3118 exporters; that refusal is
        # the lock being measured, so it is reported as BufferError (any other error escapes)
        try:
            self.arr.resize(4096)
        except ValueError as exc:
            if "referenced" not in str(exc):
                raise
            raise BufferError("numpy refcheck: " + " ".join(str(exc).split()))

    def addresses(self):
        return self.arr.__array_interface__['data'][0], <size_t>&self.mv[0, 0]
