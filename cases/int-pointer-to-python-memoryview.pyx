from cpython cimport array, buffer
import array
import sys

cdef extern from "Python.h":
    object PyMemoryView_FromBuffer(buffer.Py_buffer* view)


cdef class int_pointer_to_python_memoryview:
    cdef int data[4]                  # the memory behind the raw pointer, owned by the case
    cdef int* rp1
    cdef buffer.Py_buffer raw_buf     # module-level in the guide: must outlive the memoryview
    cdef Py_ssize_t shape
    cdef object mv2

    def __init__(self):
        cdef int flags = buffer.PyBUF_FORMAT | buffer.PyBUF_CONTIG
        cdef int i
        for i in range(4):
            self.data[i] = i
        self.rp1 = self.data
        # the conversion under test, as the guide writes it
        buffer.PyBuffer_FillInfo(&self.raw_buf, <object>NULL, self.rp1, sizeof(int) * 4, 0, flags)
        self.raw_buf.itemsize = sizeof(int)
        self.raw_buf.format = b'i'
        self.raw_buf.ndim = 1
        self.shape = 4
        self.raw_buf.shape = &self.shape
        self.mv2 = PyMemoryView_FromBuffer(&self.raw_buf)

    def source(self):
        return [self.rp1[i] for i in range(4)]

    def target(self):
        try:
            return self.mv2.tolist()
        except NotImplementedError:   # Python 2.7: tolist() only supports byte views
            return array.array('i', self.mv2.tobytes()).tolist()

    def mutate_source(self):
        self.rp1[0] = 555

    def write_target(self):
        cdef int[:] item
        if sys.version_info[0] >= 3:
            self.mv2[1] = 666
        else:
            # Python 2.7 memoryviews assign an item only from a buffer of the same itemsize
            # (and crash formatting the mismatch error, as the view's exporter is NULL)
            item = array.array('i', [666])
            self.mv2[1] = item

    def addresses(self):
        cdef buffer.Py_buffer view
        buffer.PyObject_GetBuffer(self.mv2, &view, buffer.PyBUF_SIMPLE)
        target = <size_t>view.buf
        buffer.PyBuffer_Release(&view)
        return <size_t>self.rp1, target
