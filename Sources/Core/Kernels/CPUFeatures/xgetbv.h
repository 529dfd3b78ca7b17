/* XGETBV(0): which register states the OS saves on a context switch (XCR0).
 * Kernels for AVX or AVX-512 may run only if the OS saves ymm / zmm state,
 * which CPUID alone does not tell. clang's _xgetbv is a macro (Swift cannot
 * import it) and Swift has no inline assembly, hence this one-line header.
 * Call only when CPUID.1:ECX.OSXSAVE (bit 27) is set. */
#ifndef MOBILENET_XGETBV_H
#define MOBILENET_XGETBV_H
#if defined(__x86_64__)
static inline unsigned long long mobilenet_xgetbv0(void) {
    unsigned int eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}
#endif
#endif
