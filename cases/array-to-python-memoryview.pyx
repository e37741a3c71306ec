from cpython cimport array
from cpython.buffer cimport PyObject_GetBuffer, PyBuffer_Release, PyBUF_SIMPLE
import array


cdef class array_to_python_memoryview:
    cdef array.array ar
    cdef object pmv

    def __init__(self):
        self.ar = array.array('i', [0, 1, 2, 3])
        self.pmv = memoryview(self.ar)      # the conversion under test

    def source(self):
        return self.ar.tolist()

    def target(self):
        return self.pmv.tolist()

    def mutate_source(self):
        self.ar[0] = 111

    def write_target(self):
        self.pmv[1] = 222

    def resize_source(self):
        # Python-level growth: array.array checks its buffer exports before reallocating
        self.ar.extend(array.array('i', range(4096)))

    def addresses(self):
        cdef Py_buffer view
        PyObject_GetBuffer(self.pmv, &view, PyBUF_SIMPLE)
        target = <size_t>view.buf
        PyBuffer_Release(&view)
        return self.ar.buffer_info()[0], target
