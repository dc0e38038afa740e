/* Part of the kernel shim: everything lives in bbshim/kernel.h. */
#include <bbshim/kernel.h>
