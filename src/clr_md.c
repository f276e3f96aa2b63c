/* clr_md.c - the metadata of loaded modules as the layers above ask for
 * it: a module's metadata, custom attributes on a row. */
#include "clr_priv.h"

#include <string.h>

const struct md *clr_module_md(struct clr *c, uint64_t module)
{
	if (!module)
		return NULL;
	pthread_mutex_lock(&c->lock);
	struct clr_module *m = clr_module_get(c, module);
	const struct md *md = m ? m->md : NULL;
	pthread_mutex_unlock(&c->lock);
	return md;
}

/* The full name of the type a CustomAttribute's constructor belongs to. */
static bool attr_type_name(const struct md *md, uint32_t ctor, char *buf, size_t size)
{
	uint32_t parent = 0;
	if (ctor >> 24 == MD_TBL_MEMBERREF) {
		if (!md_cell(md, MD_TBL_MEMBERREF, ctor & 0xffffff, 0, &parent))
			return false;
	} else if (ctor >> 24 == MD_TBL_METHODDEF) {
		/* the TypeDef whose method list holds it */
		uint32_t rows = md_rows(md, MD_TBL_TYPEDEF), mrid = ctor & 0xffffff;
		for (uint32_t rid = 1; rid <= rows && !parent; rid++) {
			struct md_typedef td;
			if (md_typedef(md, rid, &td) == CH_OK && mrid >= td.method_first &&
			    mrid - td.method_first < td.method_count)
				parent = 0x02000000u | rid;
		}
	}
	if (parent >> 24 == MD_TBL_TYPEREF)
		return md_typeref_name(md, parent & 0xffffff, 0, buf, size) == CH_OK;
	if (parent >> 24 == MD_TBL_TYPEDEF)
		return md_typedef_name(md, parent & 0xffffff, 0, buf, size) == CH_OK;
	return false;
}

bool clr_md_has_attribute(const struct md *md, uint32_t token, const char *name)
{
	uint32_t rows = md_rows(md, MD_TBL_CUSTOMATTRIBUTE);
	for (uint32_t rid = 1; rid <= rows; rid++) {
		uint32_t parent, ctor;
		char buf[512];
		if (md_cell(md, MD_TBL_CUSTOMATTRIBUTE, rid, 0, &parent) && parent == token &&
		    md_cell(md, MD_TBL_CUSTOMATTRIBUTE, rid, 1, &ctor) &&
		    attr_type_name(md, ctor, buf, sizeof buf) && strcmp(buf, name) == 0)
			return true;
	}
	return false;
}

bool clr_statics_supported(const struct clr *c)
{
	return c->off.have_statics;
}
