#include "postgres.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon_link.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "postmaster/interrupt.h"
#include "storage/latch.h"
#include "utils/json.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"
#include "wire.h"

/* wal-ed's answers to wal-push are a few log lines: anything larger is a
 * broken peer. */
#define MAX_ANSWER_PAYLOAD (1024 * 1024)
/* How much of what wal-ed says goes into a WARNING. */
#define MAX_DAEMON_TEXT 4096
/* How often a full listen backlog is tried again. */
#define CONNECT_RETRY_MS 10

/* Said in every WARNING about an unusable daemon: there is no fallback. */
#define NO_FALLBACK_DETAIL \
	"The archive module cannot archive without wal-ed (unlike archive_command = 'wal-e wal-push %%p', " \
	"it has no in-process fallback): PostgreSQL keeps the segment in pg_wal and retries."
#define DAEMON_DOWN_HINT \
	"Start wal-ed (systemctl start wal-ed) or correct wal_e.socket; if the daemon must stay down, " \
	"switch to archive_command = 'wal-e wal-push %%p', which archives in-process without it."

/*
 * Set when a wait here consumed a latch wakeup. The archiver's own loop
 * uses the latch to learn of new .ready files; archive_file sets it again
 * before returning so that none is lost (as with archive_command, whose
 * child never touches it).
 */
static bool latch_consumed = false;

typedef enum ExchangeResult
{
	EXCHANGE_ANSWERED,			/* wal-ed sent an exit status */
	EXCHANGE_STALE,				/* a connection used before was found closed
								 * before it carried the request: try a new
								 * one */
	EXCHANGE_FAILED				/* reported with a WARNING */
} ExchangeResult;

void
wale_link_init(WaleDaemonLink *link)
{
	link->sock = PGINVALID_SOCKET;
	link->used = false;
	link->context = AllocSetContextCreate(TopMemoryContext, "wal_e_archive", ALLOCSET_SMALL_SIZES);
}

void
wale_link_close(WaleDaemonLink *link)
{
	if (link->sock != PGINVALID_SOCKET)
		close(link->sock);
	link->sock = PGINVALID_SOCKET;
	link->used = false;
}

/*
 * Waits until the socket is ready for `event` (WL_SOCKET_READABLE or
 * WL_SOCKET_WRITEABLE); false when the deadline passes or the archiver is
 * told to shut down first. The latch wakes the wait for interrupts; the
 * postmaster's death ends the process.
 */
static bool
wait_for_socket(pgsocket sock, int event, TimestampTz deadline)
{
	for (;;)
	{
		long		left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);
		int			rc;

		if (left <= 0 || ShutdownRequestPending)
			return false;
		/* Set (by ourselves, often: see latch_consumed): no wait needed. */
		if (MyLatch->is_set)
		{
			ResetLatch(MyLatch);
			latch_consumed = true;
			CHECK_FOR_INTERRUPTS();
			continue;
		}
		rc = WaitLatchOrSocket(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH | event,
							   sock, left, PG_WAIT_EXTENSION);
		if (rc & WL_LATCH_SET)
		{
			ResetLatch(MyLatch);
			latch_consumed = true;
			CHECK_FOR_INTERRUPTS();
		}
		if (rc & event)
			return true;
	}
}

/* Sleeps a little (latch-aware); false when the deadline has passed. */
static bool
pause_until(long ms, TimestampTz deadline)
{
	long		left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);
	int			rc;

	if (left <= 0 || ShutdownRequestPending)
		return false;
	rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, Min(ms, left), PG_WAIT_EXTENSION);
	if (rc & WL_LATCH_SET)
	{
		ResetLatch(MyLatch);
		latch_consumed = true;
		CHECK_FOR_INTERRUPTS();
	}
	return true;
}

/* Connects to wal-ed; 0 or the errno of the failure. */
static int
connect_daemon(const char *path, TimestampTz deadline, pgsocket *out)
{
	struct sockaddr_un addr;
	pgsocket	sock;

	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(addr.sun_path))
		return ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return errno;
	while (connect(sock, (struct sockaddr *) &addr, sizeof(addr)) != 0)
	{
		int			err = errno;

		if (err == EINTR)
			continue;
		/* EAGAIN: the listen backlog is full; wait for room. */
		if (err != EAGAIN || !pause_until(CONNECT_RETRY_MS, deadline))
		{
			close(sock);
			return err == EAGAIN ? ETIMEDOUT : err;
		}
	}
	*out = sock;
	return 0;
}

/* Sends everything before the deadline; 0 or the errno of the failure. */
static int
send_all(pgsocket sock, const char *data, size_t len, TimestampTz deadline)
{
	while (len > 0)
	{
		ssize_t		n = send(sock, data, len, MSG_NOSIGNAL);

		if (n > 0)
		{
			data += n;
			len -= (size_t) n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return errno;
		if (!wait_for_socket(sock, WL_SOCKET_WRITEABLE, deadline))
			return ETIMEDOUT;
	}
	return 0;
}

/*
 * True when an idle connection has something to say: wal-ed closed it (or
 * sent bytes nobody asked for). Either way it must not carry a request.
 */
static bool
peer_hung_up(pgsocket sock)
{
	struct pollfd p;

	p.fd = sock;
	p.events = POLLIN;
	p.revents = 0;
	return poll(&p, 1, 0) != 0;
}

/* One request frame: wal-push `path` from `data_dir`, warnings only. */
static void
build_request(StringInfo out, const char *data_dir, const char *path)
{
	StringInfoData json;
	uint8		header[WALE_FRAME_HEADER_SIZE];

	initStringInfo(&json);
	appendStringInfoString(&json, "{\"argv\":[\"--terse\",\"wal-push\",");
	escape_json(&json, path);
	appendStringInfoString(&json, "],\"cwd\":");
	escape_json(&json, data_dir);
	appendStringInfoString(&json, ",\"env\":{\"WALE_LOG_DESTINATION\":\"stderr\"},\"tty\":false,\"client\":\"" WALE_ARCHIVE_MODULE_CLIENT "\"}");
	wale_encode_frame_header(header, WALE_FRAME_REQUEST, (uint32_t) json.len);
	appendBinaryStringInfo(out, (const char *) header, sizeof(header));
	appendBinaryStringInfo(out, json.data, json.len);
}

/* wal-ed's log lines for the WARNING, without their STRUCTURED lines. */
static char *
daemon_text(const StringInfo said)
{
	StringInfoData out;
	const char *line = said->data;

	initStringInfo(&out);
	while (*line != '\0')
	{
		const char *end = strchr(line, '\n');
		int			len = end ? (int) (end - line) : (int) strlen(line);
		const char *text = line;

		while (*text == ' ')
			text++;
		if (strncmp(text, "STRUCTURED:", 11) != 0 && len > 0)
		{
			if (out.len > 0)
				appendStringInfoChar(&out, '\n');
			appendBinaryStringInfo(&out, line, len);
		}
		line += len + (end ? 1 : 0);
	}
	return out.data;
}

static void
warn_unreachable(const char *file, const char *socket_path, int err)
{
	errno = err;
	ereport(WARNING,
			(errmsg("wal_e_archive could not archive \"%s\": cannot reach wal-ed on \"%s\": %m", file, socket_path),
			 errdetail(NO_FALLBACK_DETAIL),
			 errhint(DAEMON_DOWN_HINT)));
}

static void
warn_broken(const char *file, const char *socket_path, const char *what)
{
	ereport(WARNING,
			(errmsg("wal_e_archive could not archive \"%s\": %s (wal-ed on \"%s\")", file, what, socket_path),
			 errdetail(NO_FALLBACK_DETAIL),
			 errhint(DAEMON_DOWN_HINT)));
}

static void
warn_no_answer(const char *file, const char *socket_path, int timeout_ms)
{
	if (ShutdownRequestPending)
	{
		ereport(WARNING,
				(errmsg("wal_e_archive stopped waiting for wal-ed to archive \"%s\": the archiver is shutting down", file)));
		return;
	}
	ereport(WARNING,
			(errmsg("wal_e_archive could not archive \"%s\": no answer from wal-ed on \"%s\" within %d s",
					file, socket_path, timeout_ms / 1000),
			 errdetail("PostgreSQL retries; wal-ed keeps working on the segment meanwhile."),
			 errhint("See wal-ed's log and \"wal-e status\": the daemon may be stopped, overloaded or waiting for its store; "
					 "raise wal_e.timeout if the store is slow.")));
}

/*
 * Sends the request and reads frames until the exit status. On every
 * failure but a stale connection the WARNING is given here and the
 * connection is closed.
 */
static ExchangeResult
exchange(WaleDaemonLink *link, const StringInfo request, TimestampTz deadline, int *status,
		 StringInfo said, const char *file, const char *socket_path, int timeout_ms)
{
	bool		reused = link->used;
	StringInfoData in;
	char		buf[8192];
	int			err;

	err = send_all(link->sock, request->data, (size_t) request->len, deadline);
	if (err == ETIMEDOUT)
	{
		wale_link_close(link);
		warn_no_answer(file, socket_path, timeout_ms);
		return EXCHANGE_FAILED;
	}
	if (err != 0 && reused && (err == EPIPE || err == ECONNRESET))
		return EXCHANGE_STALE;
	if (err != 0)
	{
		wale_link_close(link);
		warn_unreachable(file, socket_path, err);
		return EXCHANGE_FAILED;
	}

	initStringInfo(&in);
	for (;;)
	{
		WaleFrameHeader header;
		ssize_t		n;

		/* Take every complete frame there is. */
		while (in.len >= WALE_FRAME_HEADER_SIZE)
		{
			const char *payload = in.data + WALE_FRAME_HEADER_SIZE;

			if (!wale_decode_frame_header((const uint8 *) in.data, &header) || header.length > MAX_ANSWER_PAYLOAD)
			{
				wale_link_close(link);
				warn_broken(file, socket_path, "the peer does not speak wal-e's protocol");
				return EXCHANGE_FAILED;
			}
			if ((uint32) in.len < WALE_FRAME_HEADER_SIZE + header.length)
				break;
			if (header.type == WALE_FRAME_REFUSAL)
			{
				wale_link_close(link);
				ereport(WARNING,
						(errmsg("wal_e_archive could not archive \"%s\": wal-ed on \"%s\" refused the request", file, socket_path),
						 errdetail_internal("%.*s", (int) header.length, payload),
						 errhint("Run the archive module and wal-ed from the same release, as a user wal-ed allows (wal-ed --allow-uid).")));
				return EXCHANGE_FAILED;
			}
			if (header.version != WALE_PROTOCOL_VERSION)
			{
				wale_link_close(link);
				warn_broken(file, socket_path, "wal-ed speaks another protocol version; restart it so that it comes from the module's release");
				return EXCHANGE_FAILED;
			}
			if (header.type == WALE_FRAME_EXIT && header.length == 1)
			{
				*status = (unsigned char) payload[0];
				link->used = true;
				return EXCHANGE_ANSWERED;
			}
			if (header.type == WALE_FRAME_STDERR && said->len < MAX_DAEMON_TEXT)
				appendBinaryStringInfo(said, payload, Min((int) header.length, MAX_DAEMON_TEXT - said->len));
			else if (header.type != WALE_FRAME_STDERR && header.type != WALE_FRAME_STDOUT && header.type != WALE_FRAME_HEARTBEAT)
			{
				wale_link_close(link);
				warn_broken(file, socket_path, "wal-ed sent a frame of an unknown type");
				return EXCHANGE_FAILED;
			}
			memmove(in.data, in.data + WALE_FRAME_HEADER_SIZE + header.length, in.len - WALE_FRAME_HEADER_SIZE - header.length);
			in.len -= (int) (WALE_FRAME_HEADER_SIZE + header.length);
		}

		if (!wait_for_socket(link->sock, WL_SOCKET_READABLE, deadline))
		{
			/* A late answer must not be taken for the next request's. */
			wale_link_close(link);
			warn_no_answer(file, socket_path, timeout_ms);
			return EXCHANGE_FAILED;
		}
		n = recv(link->sock, buf, sizeof(buf), 0);
		if (n > 0)
		{
			appendBinaryStringInfo(&in, buf, (int) n);
			reused = false;		/* it carried the request: no second try */
			continue;
		}
		if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		if (reused && (n == 0 || errno == ECONNRESET))
			return EXCHANGE_STALE;
		err = n == 0 ? 0 : errno;
		wale_link_close(link);
		if (err == 0)
			warn_broken(file, socket_path, "wal-ed closed the connection before answering (was it stopped or killed?)");
		else
			warn_unreachable(file, socket_path, err);
		return EXCHANGE_FAILED;
	}
}

bool
wale_link_archive(WaleDaemonLink *link, const char *socket_path, int timeout_ms,
				  const char *data_dir, const char *file, const char *path)
{
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), timeout_ms);
	MemoryContext caller = MemoryContextSwitchTo(link->context);
	StringInfoData request;
	StringInfoData said;
	ExchangeResult result = EXCHANGE_FAILED;
	int			status = -1;
	int			attempt;

	initStringInfo(&request);
	initStringInfo(&said);
	build_request(&request, data_dir, path);

	/*
	 * A connection wal-ed closed while it was idle is replaced once; a
	 * repeated request is harmless (wal-ed joins an upload under way and
	 * answers a stored file from its journal).
	 */
	for (attempt = 0; attempt < 2; attempt++)
	{
		if (link->sock != PGINVALID_SOCKET && peer_hung_up(link->sock))
			wale_link_close(link);
		if (link->sock == PGINVALID_SOCKET)
		{
			int			err = connect_daemon(socket_path, deadline, &link->sock);

			if (err != 0)
			{
				if (err == ETIMEDOUT)
					warn_no_answer(file, socket_path, timeout_ms);
				else
					warn_unreachable(file, socket_path, err);
				result = EXCHANGE_FAILED;
				break;
			}
		}
		resetStringInfo(&said);
		result = exchange(link, &request, deadline, &status, &said, file, socket_path, timeout_ms);
		if (result != EXCHANGE_STALE)
			break;
		wale_link_close(link);
	}
	if (result == EXCHANGE_STALE)
		warn_broken(file, socket_path, "wal-ed closed the connection before answering (was it stopped or killed?)");

	if (result == EXCHANGE_ANSWERED && status != 0)
		ereport(WARNING,
				(errmsg("wal_e_archive could not archive \"%s\": wal-ed answered with exit status %d", file, status),
				 said.len > 0 ? errdetail_internal("%s", daemon_text(&said)) : 0,
				 errhint("PostgreSQL retries; wal-ed's log and \"wal-e status\" tell more.")));

	MemoryContextSwitchTo(caller);
	MemoryContextReset(link->context);
	if (latch_consumed)
	{
		latch_consumed = false;
		SetLatch(MyLatch);
	}
	return result == EXCHANGE_ANSWERED && status == 0;
}
