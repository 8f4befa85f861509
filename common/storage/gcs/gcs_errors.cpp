#include "common/storage/gcs/gcs_errors.hpp"

#include "common/net/http_client.hpp"
#include "common/storage/gcs/gcs_json.hpp"

namespace wale::storage::gcs {
namespace {

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

std::string whose_credentials(const GcsSettings& s) {
  switch (s.credentials.source) {
    case CredentialSource::service_account:
      return "the service account " + s.credentials.client_email + " of GOOGLE_APPLICATION_CREDENTIALS";
    case CredentialSource::authorized_user:
      return "the user of GOOGLE_APPLICATION_CREDENTIALS";
    case CredentialSource::metadata_server:
      return "this VM's service account (GOOGLE_APPLICATION_CREDENTIALS is not set)";
    case CredentialSource::none:
      break;
  }
  return "anonymous requests";
}

std::string advice(int status, const GcsSettings& s) {
  if (status == 401) {
    if (s.credentials.source == CredentialSource::none)
      return "; the endpoint wants credentials: set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file";
    return "; check GOOGLE_APPLICATION_CREDENTIALS (the store refused the access token it gave)";
  }
  if (status == 403)
    return "; check that " + whose_credentials(s) + " may create, read, list and delete objects in bucket " + s.bucket +
           " (role Storage Object Admin)";
  return "";
}

bool about_bucket(const ServiceError& e) {
  return contains(e.message, "bucket does not exist") || contains(e.message, "Bucket does not exist");
}

}  // namespace

bool bucket_missing(std::string_view body) { return about_bucket(parse_service_error(body)); }

Error service_failure(const std::string& what, int status, std::string_view body, const GcsSettings& settings) {
  const ServiceError e = parse_service_error(body);
  std::string text = what + ": HTTP " + std::to_string(status);
  if (!e.reason.empty()) text += " " + e.reason;
  if (!e.message.empty()) text += " (" + e.message + ")";
  text += " from " + settings.endpoint.host_header();
  const bool missing_bucket = status == 404 && about_bucket(e);
  text += missing_bucket ? "; create the bucket " + settings.bucket + " or fix WALE_GS_PREFIX" : advice(status, settings);
  ErrorKind kind = ErrorKind::permanent;
  if (status == 404 && !missing_bucket) kind = ErrorKind::not_found;
  // A body that arrived damaged: the service compared it with the MD5 or
  // CRC-32C sent along, and another attempt can succeed.
  else if (net::retryable_status(status) || (status == 400 && (contains(e.message, "MD5") || contains(e.message, "CRC32C") ||
                                                                contains(e.message, "hash"))))
    kind = ErrorKind::transient;
  return Error(kind, text);
}

}  // namespace wale::storage::gcs
