/* clr_field.c - FieldDescs: instance and static fields of a type. */
#include "clr_priv.h"

#include <stdlib.h>

const struct clr_field *clr_type_fields(struct clr *c, const struct clr_type *t,
					size_t *n, size_t *ninstance,
					struct ch_err *err)
{
	(void)c; (void)t; (void)err;
	*n = 0;
	if (ninstance)
		*ninstance = 0;
	return NULL;
}

void clr_type_statics(struct clr *c, const struct clr_type *t,
		      uint64_t *gc_base, uint64_t *nongc_base)
{
	(void)c; (void)t;
	*gc_base = *nongc_base = 0;
}
