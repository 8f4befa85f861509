// The commands run_in_process() dispatches to, one file each. Each gets the
// store it works on (the daemon's shared one, or one opened for it).
#pragma once

#include "common/command/command.hpp"
#include "common/storage/blob_store.hpp"

namespace wale::command {

int backup_list(CommandContext& ctx, storage::BlobStore& store);
int backup_push(CommandContext& ctx, storage::BlobStore& store);
int backup_fetch(CommandContext& ctx, storage::BlobStore& store);
int delete_command(CommandContext& ctx, storage::BlobStore& store);
int verify_command(CommandContext& ctx, storage::BlobStore& store);
int check_command(CommandContext& ctx, storage::BlobStore& store);

}  // namespace wale::command
