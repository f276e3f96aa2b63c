/* main_tree.h - the mount's tree without FUSE (main_tree.c): `clrheap ls,
 * cat, readlink, find, tar`, called by main_cli.c. */
#ifndef CLRHEAP_MAIN_TREE_H
#define CLRHEAP_MAIN_TREE_H

#include <stdbool.h>
#include <stdio.h>

/* Whether cmd is one of the tree's commands. */
bool main_tree_is_cmd(const char *cmd);

/* Runs `clrheap CMD ARGS`: argv[0] is the command. Returns the exit
 * status: 0, 1 (bad input: a dump or path that cannot be read), 2 (usage). */
int main_tree(int argc, char **argv);

/* Writes the usage of the tree command cmd (NULL: the synopsis lines of
 * them all) to f. */
void main_tree_usage(const char *cmd, FILE *f);

#endif
