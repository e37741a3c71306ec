# The toolchain control for numpy cells: cimport numpy, a typed ndarray attribute (so the
# module imports numpy's types at init, as every numpy case does) and the canonical
# module-level import_array().  Where this fails, the Python x Cython x numpy (built
# against, run under) x compiler combination builds or imports no numpy extension at all.
import numpy as np
cimport numpy as cnp

cnp.import_array()


cdef class control_numpy:
    cdef cnp.ndarray values
    cdef list kept

    def __init__(self):
        self.values = np.arange(3)
        self.kept = self.values.tolist()

    def source(self):
        return self.values.tolist()

    def target(self):
        return self.kept

    def mutate_source(self):
        self.values[0] = 7
