/*
 * wal_e_archive: an archive module (archive_library = 'wal_e_archive')
 * that hands every finished WAL segment to wal-ed over its Unix socket and
 * reports success only when wal-ed answers that the segment is durably
 * stored. No process is started per segment; the archiver keeps one
 * connection open.
 *
 * PostgreSQL 15's module interface (_PG_archive_module_init fills in the
 * callbacks) and 16's and later (it returns them; a startup callback and
 * private state) are chosen by PG_VERSION_NUM around the same code.
 */
#include "postgres.h"

#include <sys/stat.h>
#include <sys/un.h>

#include "daemon_link.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#if PG_VERSION_NUM >= 160000
#include "archive/archive_module.h"
#else
#include "postmaster/pgarch.h"
#endif

PG_MODULE_MAGIC;

/* Where the systemd unit makes wal-ed listen (and the shim's default). */
#define DEFAULT_SOCKET "/run/wal-e/wal-ed.sock"
/* Longer than wal-ed's own store timeout (60 s), so that its explanation arrives first. */
#define DEFAULT_TIMEOUT_S 120

static char *wale_socket = NULL;
static int	wale_timeout_s = DEFAULT_TIMEOUT_S;

void		_PG_init(void);

void
_PG_init(void)
{
	DefineCustomStringVariable("wal_e.socket",
							   "wal-ed's Unix socket, where wal_e_archive sends each WAL segment.",
							   NULL,
							   &wale_socket,
							   DEFAULT_SOCKET,
							   PGC_SIGHUP,
							   0,
							   NULL, NULL, NULL);
	DefineCustomIntVariable("wal_e.timeout",
							"How long wal_e_archive waits for wal-ed to store one segment before PostgreSQL retries.",
							NULL,
							&wale_timeout_s,
							DEFAULT_TIMEOUT_S,
							1,
							86400,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);
	MarkGUCPrefixReserved("wal_e");
}

/*
 * What is wrong with wal_e.socket, or NULL. A socket that does not exist
 * (yet) is not a configuration problem but a stopped daemon: archiving
 * then fails and is counted and retried as every failure is.
 */
static const char *
socket_setting_problem(void)
{
	static char problem[256];
	struct stat st;

	if (wale_socket == NULL || wale_socket[0] == '\0')
		return "wal_e.socket is empty: set it to wal-ed's socket (wal-ed --socket; " DEFAULT_SOCKET " under systemd)";
	if (wale_socket[0] != '/')
		return "wal_e.socket must be an absolute path (wal-ed --socket)";
	if (strlen(wale_socket) >= sizeof(((struct sockaddr_un *) NULL)->sun_path))
	{
		snprintf(problem, sizeof(problem), "wal_e.socket is longer than a Unix socket path may be (%zu bytes)",
				 sizeof(((struct sockaddr_un *) NULL)->sun_path) - 1);
		return problem;
	}
	if (stat(wale_socket, &st) == 0 && !S_ISSOCK(st.st_mode))
		return "wal_e.socket names a file that is not a socket: set it to wal-ed's socket (wal-ed --socket)";
	return NULL;
}

static bool
check_configured(void)
{
	const char *problem = socket_setting_problem();

	if (problem == NULL)
		return true;
#if PG_VERSION_NUM >= 170000
	arch_module_check_errdetail("%s", problem);
#else
	/* PostgreSQL's own warning that follows carries no detail before 17. */
	ereport(WARNING, (errmsg("wal_e_archive is not configured"), errdetail_internal("%s", problem)));
#endif
	return false;
}

static bool
archive_file(WaleDaemonLink *link, const char *file, const char *path)
{
	return wale_link_archive(link, wale_socket, wale_timeout_s * 1000, DataDir, file, path);
}

#if PG_VERSION_NUM >= 160000

static void
startup(ArchiveModuleState *state)
{
	WaleDaemonLink *link = MemoryContextAllocZero(TopMemoryContext, sizeof(WaleDaemonLink));

	wale_link_init(link);
	state->private_data = link;
}

static bool
check_configured_cb(ArchiveModuleState *state)
{
	return check_configured();
}

static bool
archive_file_cb(ArchiveModuleState *state, const char *file, const char *path)
{
	return archive_file((WaleDaemonLink *) state->private_data, file, path);
}

static void
shutdown_cb(ArchiveModuleState *state)
{
	wale_link_close((WaleDaemonLink *) state->private_data);
}

static const ArchiveModuleCallbacks callbacks = {
	.startup_cb = startup,
	.check_configured_cb = check_configured_cb,
	.archive_file_cb = archive_file_cb,
	.shutdown_cb = shutdown_cb,
};

const ArchiveModuleCallbacks *
_PG_archive_module_init(void)
{
	return &callbacks;
}

#else							/* PostgreSQL 15 */

/* PostgreSQL 15 passes no state to the callbacks. */
static WaleDaemonLink the_link;

static bool
archive_file_cb(const char *file, const char *path)
{
	return archive_file(&the_link, file, path);
}

static void
shutdown_cb(void)
{
	wale_link_close(&the_link);
}

extern PGDLLEXPORT void _PG_archive_module_init(ArchiveModuleCallbacks *cb);

void
_PG_archive_module_init(ArchiveModuleCallbacks *cb)
{
	AssertVariableIsOfType(&_PG_archive_module_init, ArchiveModuleInit);
	wale_link_init(&the_link);
	cb->check_configured_cb = check_configured;
	cb->archive_file_cb = archive_file_cb;
	cb->shutdown_cb = shutdown_cb;
}

#endif
