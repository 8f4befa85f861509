/*
 * null_archive: a PostgreSQL 15 archive module that stores nothing and
 * reports success, for bench/module_per_segment.sh only. What the archiver
 * then spends per segment (scanning archive_status, renaming .ready to
 * .done, statistics) is the floor under any archive module. Archiving
 * starts when null_archive.enabled is set (a reload), so that a timed run
 * starts at a known moment.
 */
#include "postgres.h"

#include "fmgr.h"
#include "postmaster/pgarch.h"
#include "utils/guc.h"

PG_MODULE_MAGIC;

static bool enabled = false;

void		_PG_init(void);
void		_PG_archive_module_init(ArchiveModuleCallbacks *cb);

void
_PG_init(void)
{
	DefineCustomBoolVariable("null_archive.enabled", "Pretend to archive.", NULL, &enabled, false,
							 PGC_SIGHUP, 0, NULL, NULL, NULL);
}

static bool
configured(void)
{
	return enabled;
}

static bool
archive(const char *file, const char *path)
{
	return true;
}

void
_PG_archive_module_init(ArchiveModuleCallbacks *cb)
{
	cb->check_configured_cb = configured;
	cb->archive_file_cb = archive;
}
