#ifndef KALAM_CZLIB_SHIM_H
#define KALAM_CZLIB_SHIM_H
#include <zlib.h>

// inflateInit2 is a macro, which Swift cannot call: this wraps it for a gzip stream
// (window bits 15, +16 to expect the gzip header and trailer rather than zlib's).
static inline int kalam_inflate_init_gzip(z_stream *stream) {
    return inflateInit2(stream, 15 + 16);
}

// deflateInit2 for a gzip stream at `level` (0-9), with zlib's default memory level and strategy.
static inline int kalam_deflate_init_gzip(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}
#endif
