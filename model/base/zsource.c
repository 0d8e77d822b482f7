/* base/zsource.c - gzip (zlib), xz (liblzma) and zstd (libzstd) decoding
 * for the trace reader (base/zsource.h).  Each library is optional at
 * build time (MMUSIM_HAVE_ZLIB, _LZMA, _ZSTD, set by model/CMakeLists.txt
 * when it finds them); without one, its format is refused by the reader
 * with a message that says so.
 *
 * Every format gets the same three outcomes: text, the complete end, or
 * an error.  "Complete" means the input ended exactly at the end of a
 * gzip member (its CRC-32 and ISIZE checked by zlib), of an xz stream
 * (its index and check), or of a zstd frame (its checksum when it has
 * one): a file cut anywhere else is an error, never a shorter trace.
 */
#include "base/zsource.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef MMUSIM_HAVE_ZLIB
#include <zlib.h>
#endif
#ifdef MMUSIM_HAVE_LZMA
#include <lzma.h>
#endif
#ifdef MMUSIM_HAVE_ZSTD
#include <zstd.h>
#include <zstd_errors.h>
#endif

struct zsource {
	enum zs_format f;
	unsigned char *in;
	size_t cap, pos, end;       /* the unread input is in[pos..end) */
	bool between;               /* at the end of a member/frame, before the next */
	bool started;               /* a member/frame has begun since the last end */
#ifdef MMUSIM_HAVE_ZLIB
	z_stream gz;
#endif
#ifdef MMUSIM_HAVE_LZMA
	lzma_stream xz;
#endif
#ifdef MMUSIM_HAVE_ZSTD
	ZSTD_DStream *zd;
#endif
};

enum zs_format zs_detect(const unsigned char *p, size_t n)
{
	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return ZS_GZIP;
	if (n >= 6 && !memcmp(p, "\xfd" "7zXZ\0", 6))
		return ZS_XZ;
	if (n >= 4 && !memcmp(p, "\x28\xb5\x2f\xfd", 4))
		return ZS_ZSTD;
	if (n >= 4 && (p[0] & 0xf0) == 0x50 && !memcmp(p + 1, "\x2a\x4d\x18", 3))
		return ZS_ZSTD;   /* a skippable frame first (RFC 8878, 3.1.2) */
	return ZS_NONE;
}

const char *zs_format_name(enum zs_format f)
{
	return f == ZS_GZIP ? "gzip" : f == ZS_XZ ? "xz" : f == ZS_ZSTD ? "zstd" : "uncompressed";
}

bool zs_supported(enum zs_format f)
{
	switch (f) {
#ifdef MMUSIM_HAVE_ZLIB
	case ZS_GZIP: return true;
#endif
#ifdef MMUSIM_HAVE_LZMA
	case ZS_XZ: return true;
#endif
#ifdef MMUSIM_HAVE_ZSTD
	case ZS_ZSTD: return true;
#endif
	default: return false;
	}
}

zsource *zs_new(enum zs_format f, size_t cap)
{
	if (!zs_supported(f))
		return NULL;
	zsource *z = calloc(1, sizeof *z);
	if (!z)
		return NULL;
	z->f = f;
	z->cap = cap;
	z->in = malloc(cap);
	bool ok = z->in != NULL;
	switch (f) {
#ifdef MMUSIM_HAVE_ZLIB
	case ZS_GZIP:
		/* 15 + 16: a 32 KiB window, gzip wrapper only (RFC 1952) */
		ok = ok && inflateInit2(&z->gz, 15 + 16) == Z_OK;
		break;
#endif
#ifdef MMUSIM_HAVE_LZMA
	case ZS_XZ: {
		lzma_stream init = LZMA_STREAM_INIT;
		z->xz = init;
		/* no memory limit beyond the stream's own dictionary (xz -d's
		 * default); concatenated streams read as one */
		ok = ok && lzma_stream_decoder(&z->xz, UINT64_MAX, LZMA_CONCATENATED) == LZMA_OK;
		break;
	}
#endif
#ifdef MMUSIM_HAVE_ZSTD
	case ZS_ZSTD:
		z->zd = ok ? ZSTD_createDStream() : NULL;
		ok = z->zd && !ZSTD_isError(ZSTD_initDStream(z->zd));
		break;
#endif
	default:
		ok = false;
	}
	if (!ok) {
		zs_free(z);
		return NULL;
	}
	return z;
}

void zs_free(zsource *z)
{
	if (!z)
		return;
	switch (z->f) {
#ifdef MMUSIM_HAVE_ZLIB
	case ZS_GZIP: inflateEnd(&z->gz); break;
#endif
#ifdef MMUSIM_HAVE_LZMA
	case ZS_XZ: lzma_end(&z->xz); break;
#endif
#ifdef MMUSIM_HAVE_ZSTD
	case ZS_ZSTD: ZSTD_freeDStream(z->zd); break;
#endif
	default: break;
	}
	free(z->in);
	free(z);
}

unsigned char *zs_in_space(zsource *z, size_t *room)
{
	if (z->pos == z->end)
		z->pos = z->end = 0;
	else if (z->pos > 0 && z->end == z->cap) {
		memmove(z->in, z->in + z->pos, z->end - z->pos);
		z->end -= z->pos;
		z->pos = 0;
	}
	*room = z->cap - z->end;
	return z->in + z->end;
}

void zs_in_commit(zsource *z, size_t n)
{
	z->end += n;
}

bool zs_in_empty(const zsource *z)
{
	return z->pos == z->end;
}

__attribute__((format(printf, 3, 4)))
static int zfail(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
	return -1;
}
#define ZFAIL(...) zfail(msg, msglen, __VA_ARGS__)

int zs_decode(zsource *z, char *out, size_t cap, size_t *got, bool input_ended, char *msg,
              size_t msglen)
{
	*got = 0;
	const char *name = zs_format_name(z->f);
	size_t avail = z->end - z->pos;
	if (avail == 0 && !input_ended)
		return 0;
	if (avail == 0 && z->between)
		return 1;
	if (avail == 0 && !z->started)
		return 1;   /* cannot happen: the reader makes a zsource only after a magic number */
	switch (z->f) {
#ifdef MMUSIM_HAVE_ZLIB
	case ZS_GZIP: {
		if (z->between) {   /* another member follows (gzip -d reads them all) */
			inflateReset(&z->gz);
			z->between = false;
		}
		z->started = true;
		z->gz.next_in = z->in + z->pos;
		z->gz.avail_in = (uInt)(avail > UINT32_MAX ? UINT32_MAX : avail);
		z->gz.next_out = (Bytef *)out;
		z->gz.avail_out = (uInt)(cap > UINT32_MAX ? UINT32_MAX : cap);
		int rc = inflate(&z->gz, Z_NO_FLUSH);
		z->pos = (size_t)(z->gz.next_in - z->in);
		*got = (size_t)((char *)z->gz.next_out - out);
		if (rc == Z_STREAM_END)
			z->between = true;
		else if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT)
			return ZFAIL("the gzip data is damaged (%s)", z->gz.msg ? z->gz.msg : "a preset dictionary");
		else if (rc == Z_MEM_ERROR)
			return ZFAIL("out of host memory decoding gzip");
		else if (rc != Z_OK && rc != Z_BUF_ERROR)
			return ZFAIL("the gzip data is damaged (zlib error %d)", rc);
		break;
	}
#endif
#ifdef MMUSIM_HAVE_LZMA
	case ZS_XZ: {
		z->started = true;
		z->xz.next_in = z->in + z->pos;
		z->xz.avail_in = avail;
		z->xz.next_out = (uint8_t *)out;
		z->xz.avail_out = cap;
		lzma_ret rc = lzma_code(&z->xz, input_ended ? LZMA_FINISH : LZMA_RUN);
		z->pos = (size_t)(z->xz.next_in - z->in);
		*got = (size_t)((char *)z->xz.next_out - out);
		switch (rc) {
		case LZMA_OK:
			break;
		case LZMA_STREAM_END:
			/* with LZMA_CONCATENATED only after LZMA_FINISH: the input's end
			 * at the end of a stream (and its padding) */
			z->between = true;
			return *got == 0 ? 1 : 0;
		case LZMA_BUF_ERROR:
			return ZFAIL("the xz data ends early (a truncated file?)");
		case LZMA_MEM_ERROR:
			return ZFAIL("out of host memory decoding xz");
		case LZMA_FORMAT_ERROR:
			return ZFAIL("the xz data is damaged (not an .xz stream)");
		case LZMA_OPTIONS_ERROR:
			return ZFAIL("the xz data uses options this liblzma does not support");
		case LZMA_DATA_ERROR:
			return ZFAIL("the xz data is damaged (corrupt compressed data)");
		default:
			return ZFAIL("the xz data is damaged (liblzma error %d)", (int)rc);
		}
		break;
	}
#endif
#ifdef MMUSIM_HAVE_ZSTD
	case ZS_ZSTD: {
		z->started = true;
		ZSTD_inBuffer ib = { z->in + z->pos, avail, 0 };
		ZSTD_outBuffer ob = { out, cap, 0 };
		size_t rc = ZSTD_decompressStream(z->zd, &ob, &ib);
		z->pos += ib.pos;
		*got = ob.pos;
		if (ZSTD_isError(rc)) {
			if (ZSTD_getErrorCode(rc) == ZSTD_error_frameParameter_windowTooLarge)
				/* ZSTD_WINDOWLOG_LIMIT_DEFAULT, 27: 128 MiB */
				return ZFAIL("the zstd data needs a window larger than 128 MiB "
				             "(recompress without --long, or with --long=27 or less)");
			return ZFAIL("the zstd data is damaged (%s)", ZSTD_getErrorName(rc));
		}
		/* 0: a frame is decoded and flushed; the next bytes begin another */
		z->between = rc == 0;
		break;
	}
#endif
	default:
		return ZFAIL("%s decoding is not built in", name);
	}
	if (*got == 0 && z->pos == z->end && input_ended) {
		if (z->between)
			return 1;
		return ZFAIL("the %s data ends early (a truncated file?)", name);
	}
	return 0;
}
