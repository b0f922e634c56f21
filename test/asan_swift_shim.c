/*
 * asan_swift_shim.c
 *		Preloaded after the ASan runtime by test/sanitize.sh.
 *
 * PostgreSQL's binaries are not instrumented, so the ASan runtime is
 * preloaded and initialises lazily, on the first malloc.  On Debian 12 that
 * malloc comes from a library constructor (p11-kit's) that holds glibc's
 * setlocale lock, and the runtime's initialisation looks up the optional
 * symbol swift_demangle and calls dlerror() when it is missing, which
 * translates the message and so takes the same lock: the process hangs
 * before main.  With the symbol present there is no error to translate.
 * The runtime calls it only to demangle Swift names; NULL means "not one".
 */
#include <stddef.h>

char	   *swift_demangle(const char *mangled, size_t length, char *out, size_t *outlen,
						   unsigned flags);

char *
swift_demangle(const char *mangled, size_t length, char *out, size_t *outlen, unsigned flags)
{
	return NULL;
}
