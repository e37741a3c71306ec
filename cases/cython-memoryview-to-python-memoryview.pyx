from cpython.buffer cimport PyObject_GetBuffer, PyBuffer_Release, PyBUF_SIMPLE


cdef class cython_memoryview_to_python_memoryview:
    cdef bytearray ba
    cdef char[:] mv
    cdef object pmv

    def __init__(self):
        self.ba = bytearray(b"choco")
        self.mv = self.ba                   # the source: a Cython memoryview over a bytearray
        self.pmv = memoryview(self.mv)      # the conversion under test

    def source(self):
        return [self.mv[i] for i in range(self.mv.shape[0])]

    def target(self):
        return self.pmv.tolist()

    def mutate_source(self):
        self.mv[0] = ord("z")

    def write_target(self):
        # slice assignment: the same spelling works on Python 2 and 3
        self.pmv[1:2] = b"W"

    def resize_source(self):
        # the memoryviews cannot be resized; the bytearray behind them is what would move
        self.ba.extend(b"x" * 4096)

    def addresses(self):
        cdef Py_buffer buf
        PyObject_GetBuffer(self.pmv, &buf, PyBUF_SIMPLE)
        target = <size_t>buf.buf
        PyBuffer_Release(&buf)
        return <size_t>&self.mv[0], target
