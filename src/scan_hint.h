/*
 * scan_hint.h
 *		Telling the score functions the table their rows come from
 *		(scan_hint.c).
 */
#ifndef KMERSEARCH_SCAN_HINT_H
#define KMERSEARCH_SCAN_HINT_H

/* module.c: install the ExecutorStart hook */
extern void ScanHintInstallHook(void);

#endif							/* KMERSEARCH_SCAN_HINT_H */
