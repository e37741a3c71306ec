from libc.stdlib cimport malloc, realloc, free



cdef class buffer_exporter_to_int_memoryview_exporter:
    """C memory (malloc'd ints) exported through the buffer protocol; it counts its
    outstanding exports and refuses to reallocate while one is held."""
    cdef int* data
    cdef Py_ssize_t n
    cdef Py_ssize_t shape[1]
    cdef Py_ssize_t strides[1]
    cdef readonly int exports

    def __cinit__(self, Py_ssize_t n):
        cdef Py_ssize_t i
        self.data = <int*>malloc(n * sizeof(int))
        if self.data == NULL:
            raise MemoryError()
        self.n = n
        for i in range(n):
            self.data[i] = i

    def __dealloc__(self):
        free(self.data)

    def __getbuffer__(self, Py_buffer *buffer, int flags):
        self.shape[0] = self.n
        self.strides[0] = sizeof(int)
        buffer.buf = <char *>self.data
        buffer.format = 'i'
        buffer.internal = NULL
        buffer.itemsize = sizeof(int)
        buffer.len = self.n * sizeof(int)
        buffer.ndim = 1
        buffer.obj = self
        buffer.readonly = 0
        buffer.shape = self.shape
        buffer.strides = self.strides
        buffer.suboffsets = NULL
        self.exports += 1

    def __releasebuffer__(self, Py_buffer *buffer):
        self.exports -= 1

    def resize(self, Py_ssize_t n):
        cdef int* grown
        if self.exports > 0:
            raise BufferError("cannot reallocate: %d buffer export(s) outstanding" % self.exports)
        grown = <int*>realloc(self.data, n * sizeof(int))
        if grown == NULL:
            raise MemoryError()
        self.data = grown
        self.n = n

    def values(self):
        return [self.data[i] for i in range(self.n)]


cdef class buffer_exporter_to_int_memoryview:
    cdef buffer_exporter_to_int_memoryview_exporter src
    cdef int[:] mv

    def __init__(self):
        self.src = buffer_exporter_to_int_memoryview_exporter(8)
        self.mv = self.src                        # the conversion under test

    def source(self):
        return self.src.values()

    def target(self):
        return [self.mv[i] for i in range(self.mv.shape[0])]

    def mutate_source(self):
        self.src.data[0] = 111

    def write_target(self):
        self.mv[1] = 222

    def resize_source(self):
        # 2048 ints (8 KiB): past CPython's small-object sizes, so realloc normally moves
        self.src.resize(2048)

    def addresses(self):
        return <size_t>self.src.data, <size_t>&self.mv[0]
