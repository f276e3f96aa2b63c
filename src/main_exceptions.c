/* main_exceptions.c - `clrheap exceptions DUMP [--type T] [--json]`: every
 * exception object of the heap (exc.h), each as SOS !pe prints it. */
#include "main_exceptions.h"

#include <stdio.h>

#include "exc.h"
#include "jw.h"

static void out_file(void *arg, const char *p, size_t n)
{
	fwrite(p, 1, n, arg);
}

int main_exceptions(struct heap *h, const char *base, bool json, struct ch_err *err)
{
	struct exc_list *l;
	if (exc_open(h, &l, err) != CH_OK)
		return -1;
	if (json) {
		struct jw w;
		jw_init(&w);
		exc_list_json(l, base, &w);
		if (w.oom) {
			jw_free(&w);
			exc_close(l);
			ch_set_error(err, CH_ENOMEM, "out of memory writing JSON");
			return -1;
		}
		printf("%s\n", w.buf);
		jw_free(&w);
	} else {
		size_t n, shown = 0;
		const struct exc_exception *e = exc_all(l, &n);
		for (size_t i = 0; i < n; i++) {
			if (base && !exc_is_a(l, &e[i], base))
				continue;
			if (shown++)
				putchar('\n');
			exc_text(l, &e[i], out_file, stdout);
		}
	}
	exc_close(l);
	return 0;
}
