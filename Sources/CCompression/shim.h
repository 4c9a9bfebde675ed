#ifndef CCOMPRESSION_SHIM_H
#define CCOMPRESSION_SHIM_H

// System headers for decoding compressed HTTP bodies (Content-Encoding gzip, deflate, br):
// Debian's zlib (zlib1g-dev) and brotli decoder (libbrotli-dev). zlib's init functions are
// macros that pass the library version and struct size; Swift cannot import them, so they get
// `static inline CCompression_*` helpers here. There is deliberately no .c file in this module.

#include <stddef.h>
#include <stdint.h>
#include <zlib.h>
#include <brotli/decode.h>

/// `inflateInit2(strm, windowBits)`: 15 for a zlib stream, 31 for gzip, 15 + 32 for either
/// (detected from the header), -15 for raw deflate.
static inline int CCompression_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}

#endif
