/* version.h - the version both programs print with --version. */
#ifndef CLRHEAP_VERSION_H
#define CLRHEAP_VERSION_H

#define CLRHEAP_VERSION "0.1.0"

#endif
