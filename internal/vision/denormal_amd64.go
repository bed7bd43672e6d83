package vision

/*
#include <xmmintrin.h>
static unsigned int fp_getcsr(void) { return _mm_getcsr(); }
static void fp_setcsr(unsigned int v) { _mm_setcsr(v); }
*/
import "C"

import "runtime"

// mxcsrFTZDAZ are the SSE control bits flush-to-zero (15) and
// denormals-are-zero (6).
const mxcsrFTZDAZ = 0x8040

// withFlushDenormals runs fn on a locked OS thread with denormal floats
// flushed to zero, then restores the thread's float state. Some face models
// (fr_feature) compute through denormal values, which x86 handles in
// microcode ~100× slower: 60 ms instead of 6 ms per embedding on one thread.
// ORT's session.set_denormal_as_zero only covers its pool threads, not the
// calling thread that runs a single-threaded session.
func withFlushDenormals(fn func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	old := C.fp_getcsr()
	C.fp_setcsr(old | mxcsrFTZDAZ)
	defer C.fp_setcsr(old)
	return fn()
}
