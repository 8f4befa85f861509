/*
 * The archive module's connection to wal-ed: one Unix-socket connection
 * kept open by the archiver process, speaking wal-e's own protocol (a
 * framed JSON request, answered with log frames and an exit status; see
 * proto/). Every wait has a deadline and wakes on the process latch, so
 * that interrupts and the postmaster's death are honoured and the archiver
 * never hangs.
 */
#ifndef WALE_MODULE_DAEMON_LINK_H
#define WALE_MODULE_DAEMON_LINK_H

#include "utils/palloc.h"

typedef struct WaleDaemonLink
{
	pgsocket	sock;			/* PGINVALID_SOCKET: not connected */
	bool		used;			/* has been answered on: wal-ed may have
								 * closed it since */
	MemoryContext context;		/* one request's allocations */
} WaleDaemonLink;

extern void wale_link_init(WaleDaemonLink *link);
extern void wale_link_close(WaleDaemonLink *link);

/*
 * Asks wal-ed on socket_path to archive `path` (relative to the data
 * directory `data_dir`) and waits up to timeout_ms for its answer. True
 * only when wal-ed answered that the file is durably stored; otherwise a
 * WARNING has said why and what to do, and PostgreSQL will retry.
 */
extern bool wale_link_archive(WaleDaemonLink *link, const char *socket_path, int timeout_ms,
							  const char *data_dir, const char *file, const char *path);

#endif							/* WALE_MODULE_DAEMON_LINK_H */
