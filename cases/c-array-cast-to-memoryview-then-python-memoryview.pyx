from cpython cimport array
from cpython.buffer cimport PyObject_GetBuffer, PyBuffer_Release, PyBUF_SIMPLE
import array
import sys


cdef class c_array_cast_to_memoryview_then_python_memoryview:
    cdef int c[4]
    cdef int[:] mv
    cdef object pmv

    def __init__(self):
        cdef int i
        for i in range(4):
            self.c[i] = i
        self.mv = self.c                        # the C array as a typed memoryview first
        self.pmv = memoryview(self.mv)          # the conversion under test

    def source(self):
        return [self.c[i] for i in range(4)]

    def target(self):
        try:
            return self.pmv.tolist()
        except NotImplementedError:   # Python 2.7: tolist() only supports byte views
            return array.array('i', self.pmv.tobytes()).tolist()

    def mutate_source(self):
        self.c[0] = 555

    def write_target(self):
        cdef int[:] item
        if sys.version_info[0] >= 3:
            self.pmv[1] = 666
        else:
            # Python 2.7 memoryviews assign an item only from a buffer of the same itemsize
            item = array.array('i', [666])
            self.pmv[1] = item

    def addresses(self):
        cdef Py_buffer view
        PyObject_GetBuffer(self.pmv, &view, PyBUF_SIMPLE)
        target = <size_t>view.buf
        PyBuffer_Release(&view)
        return <size_t>&self.c[0], target
