#include "wire.h"

#include <string.h>

static const uint8_t magic[4] = {'W', 'A', 'L', 'E'};

void
wale_encode_frame_header(uint8_t out[WALE_FRAME_HEADER_SIZE], uint8_t type, uint32_t length)
{
	memcpy(out, magic, sizeof(magic));
	out[4] = (uint8_t) (WALE_PROTOCOL_VERSION >> 8);
	out[5] = (uint8_t) (WALE_PROTOCOL_VERSION & 0xFF);
	out[6] = type;
	out[7] = 0;
	out[8] = (uint8_t) (length >> 24);
	out[9] = (uint8_t) (length >> 16);
	out[10] = (uint8_t) (length >> 8);
	out[11] = (uint8_t) length;
}

int
wale_decode_frame_header(const uint8_t in[WALE_FRAME_HEADER_SIZE], WaleFrameHeader *out)
{
	if (memcmp(in, magic, sizeof(magic)) != 0)
		return 0;
	out->version = (uint16_t) ((in[4] << 8) | in[5]);
	out->type = in[6];
	out->length = ((uint32_t) in[8] << 24) | ((uint32_t) in[9] << 16) | ((uint32_t) in[10] << 8) | (uint32_t) in[11];
	return 1;
}
