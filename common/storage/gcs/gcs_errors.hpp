// What a Cloud Storage error answer means for the operator and for the
// retry logic: one line with the status, the service's reason and message,
// and what to do about it (naming the variable to check), classified as
// transient, not found or permanent.
#pragma once

#include <string>
#include <string_view>

#include "common/core/error.hpp"
#include "common/storage/gcs/gcs_settings.hpp"

namespace wale::storage::gcs {

// `what` says what failed and names the object's gs:// URL.
Error service_failure(const std::string& what, int status, std::string_view body, const GcsSettings& settings);

// A 404 about the bucket rather than the object.
bool bucket_missing(std::string_view body);

}  // namespace wale::storage::gcs
