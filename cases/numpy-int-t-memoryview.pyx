import numpy as np
cimport numpy as cnp


cdef class numpy_int_t_memoryview:
    cdef cnp.ndarray np1
    cdef cnp.ndarray control
    cdef cnp.int_t[:] mv1

    def __init__(self):
        self.np1 = np.arange(4, dtype=np.int_)
        self.mv1 = self.np1                     # the conversion under test

    def source(self):
        return self.np1.tolist()

    def target(self):
        return [self.mv1[i] for i in range(self.mv1.shape[0])]

    def mutate_source(self):
        self.np1[0] = 111

    def write_target(self):
        self.mv1[1] = 222

    def resize_source(self):
        # Control first: an array nothing else references, resized the same way.  Where
        # numpy's refcheck refuses even that (Cython >= 3.1 on Python <= 3.8 holds an extra
        # reference during the call), the refusal says nothing about the target: cannot tell.
        self.control = np.arange(4, dtype=np.int_)
        try:
            self.control.resize(4096)
        except ValueError as exc:
            raise NotImplementedError("cannot tell: numpy refcheck refuses an unshared array here too: "
                                      + " ".join(str(exc).split()))
        # numpy refuses to resize an array that something else references (its refcheck)
        # with ValueError, not the BufferError of other PEP 3118 exporters; that refusal is
        # the lock being measured, so it is reported as BufferError (any other error escapes)
        try:
            self.np1.resize(4096)
        except ValueError as exc:
            if "referenced" not in str(exc):
                raise
            raise BufferError("numpy refcheck: " + " ".join(str(exc).split()))

    def addresses(self):
        return self.np1.__array_interface__['data'][0], <size_t>&self.mv1[0]
