from cpython cimport array
from cpython.buffer cimport PyObject_GetBuffer, PyBuffer_Release, PyBUF_SIMPLE
import array


ctypedef fused const_fused_memoryview_argument_floating:
    float
    double


cpdef object const_fused_memoryview_argument_take(const const_fused_memoryview_argument_floating[:] value):
    # the argument is the conversion under test; returning it keeps the view alive
    return value


cdef class const_fused_memoryview_argument:
    cdef array.array ar
    cdef object view                    # the const double[:] argument, as Cython's memoryview object

    def __init__(self):
        # called as Python calls it (through the function object), so that the fused
        # specialization is chosen at run time from the buffer's format ('d' -> double); a
        # direct C call would need the specialization at compile time
        cdef object take = const_fused_memoryview_argument_take
        self.ar = array.array('d', [0.0, 1.0, 2.0, 3.0])
        self.view = take(self.ar)           # the conversion under test

    def source(self):
        return [int(x) for x in self.ar]

    def target(self):
        return [int(self.view[i]) for i in range(len(self.view))]

    def mutate_source(self):
        self.ar[0] = 111.0

    def write_target(self):
        # at run time the view's Python object checks the readonly flag of its buffer
        self.view[1] = 222.0

    def resize_source(self):
        # Python-level growth: array.array checks its buffer exports before reallocating
        self.ar.extend(array.array('d', [0.0] * 4096))

    def addresses(self):
        cdef Py_buffer buf
        PyObject_GetBuffer(self.view, &buf, PyBUF_SIMPLE)
        target = <size_t>buf.buf
        PyBuffer_Release(&buf)
        return self.ar.buffer_info()[0], target
