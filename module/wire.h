/*
 * The wal-e protocol's frame header (proto/frame.hpp), for the archive
 * module, which is C and cannot use proto/. The unit tests check these
 * functions against proto/'s encoder and decoder.
 *
 *   0  magic    "WALE"
 *   4  version  u16 big-endian
 *   6  type     u8
 *   7  zero     u8
 *   8  length   u32 big-endian: the payload's
 *   12 payload
 */
#ifndef WALE_MODULE_WIRE_H
#define WALE_MODULE_WIRE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WALE_FRAME_HEADER_SIZE 12
#define WALE_PROTOCOL_VERSION 1

/* Frame types (proto::FrameType). */
#define WALE_FRAME_REQUEST 'Q'
#define WALE_FRAME_STDOUT 'O'
#define WALE_FRAME_STDERR 'E'
#define WALE_FRAME_HEARTBEAT 'H'
#define WALE_FRAME_EXIT 'X'
#define WALE_FRAME_REFUSAL 'R'

/* Who sends the request, for wal-ed's status (proto::kArchiveModuleClient). */
#define WALE_ARCHIVE_MODULE_CLIENT "wal_e_archive"

typedef struct WaleFrameHeader
{
	uint16_t	version;
	uint8_t		type;
	uint32_t	length;
} WaleFrameHeader;

/* Writes the header of a frame of this protocol version. */
void		wale_encode_frame_header(uint8_t out[WALE_FRAME_HEADER_SIZE], uint8_t type, uint32_t length);

/*
 * Reads a header; false when the bytes do not start with the frame magic
 * (the peer does not speak the wal-e protocol).
 */
int			wale_decode_frame_header(const uint8_t in[WALE_FRAME_HEADER_SIZE], WaleFrameHeader *out);

#ifdef __cplusplus
}
#endif

#endif							/* WALE_MODULE_WIRE_H */
