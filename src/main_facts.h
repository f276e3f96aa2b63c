/* main_facts.h - `clrheap facts` (main_facts.c), called by main_cli.c. */
#ifndef CLRHEAP_MAIN_FACTS_H
#define CLRHEAP_MAIN_FACTS_H

/* Runs `clrheap facts ARGS`: argv[0] is "facts". Returns the exit status. */
int main_facts(int argc, char **argv);

#endif
