/* base/provenance.c - the statistics' provenance object. */
#define _XOPEN_SOURCE 700   /* pread, open_memstream */
#include "base/provenance.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void *hash_file(void *arg)
{
	provenance *p = arg;
	enum { CHUNK = 1 << 20 };
	unsigned char *buf = malloc(CHUNK);
	if (!buf)
		return NULL;
	uint64_t off = 0;
	for (;;) {
		if (p->stop && *p->stop)
			break;
		ssize_t n = pread(p->fd, buf, CHUNK, (off_t)off);
		if (n < 0)
			break;
		if (n == 0) {
			p->size = off;
			sha256_final_hex(&p->ctx, p->hex);
			p->known = true;
			break;
		}
		sha256_update(&p->ctx, buf, (size_t)n);
		off += (uint64_t)n;
	}
	free(buf);
	return NULL;
}

void prov_start_file(provenance *p, const char *path, volatile sig_atomic_t *stop)
{
	memset(p, 0, sizeof *p);
	snprintf(p->path, sizeof p->path, "%s", path);
	p->stop = stop;
	p->fd = -1;
	sha256_init(&p->ctx);
	bool is_stdin = strcmp(path, "-") == 0;
	int fd = is_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		if (!is_stdin)
			close(fd);
		return;
	}
	p->fd = fd;
	p->own_fd = !is_stdin;
	p->threaded = pthread_create(&p->thread, NULL, hash_file, p) == 0;
	if (!p->threaded)
		hash_file(p);   /* no thread to be had: hash it here */
}

void prov_start_fed(provenance *p, const char *name)
{
	memset(p, 0, sizeof *p);
	snprintf(p->path, sizeof p->path, "%s", name);
	p->fd = -1;
	p->fed = true;
	sha256_init(&p->ctx);
}

void prov_feed(provenance *p, const void *data, size_t len)
{
	sha256_update(&p->ctx, data, len);
	p->size += len;
}

/* A JSON string: UTF-8 kept, other bytes as U+FFFD, controls escaped. */
static void json_string(FILE *f, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	fputc('"', f);
	while (*u) {
		unsigned c = *u;
		if (c == '"' || c == '\\') {
			fprintf(f, "\\%c", c);
			u++;
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(f, "\\u%04x", c);
			u++;
		} else if (c < 0x80) {
			fputc((int)c, f);
			u++;
		} else {
			unsigned len = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
			unsigned i = 1;
			while (len && i < len && (u[i] & 0xc0) == 0x80)
				i++;
			if (len && i == len) {
				fwrite(u, 1, len, f);
				u += len;
			} else {
				fputs("\\ufffd", f);
				u++;
			}
		}
	}
	fputc('"', f);
}

char *prov_finish(provenance *p, int argc, char *const *argv, const char *preset)
{
	if (p->threaded)
		pthread_join(p->thread, NULL);
	p->threaded = false;
	if (p->own_fd)
		close(p->fd);
	p->own_fd = false;
	if (p->fed) {
		sha256_final_hex(&p->ctx, p->hex);
		p->known = true;
		p->fed = false;
	}
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	fputs("{\"version\": ", f);
	json_string(f, mmusim_build_version);
	fputs(", \"command\": ", f);
	if (argv) {
		fputc('[', f);
		for (int i = 0; i < argc; i++) {
			if (i)
				fputs(", ", f);
			json_string(f, argv[i]);
		}
		fputc(']', f);
	} else {
		fputs("null", f);
	}
	fputs(", \"preset\": ", f);
	json_string(f, preset);
	fputs(", \"trace\": {\"path\": ", f);
	json_string(f, p->path);
	if (p->known)
		fprintf(f, ", \"size\": %llu, \"sha256\": \"%s\"}}", (unsigned long long)p->size, p->hex);
	else
		fputs(", \"size\": null, \"sha256\": null}}", f);
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}
