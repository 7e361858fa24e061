// Randomness and hashing for identifiers and secrets, backed by OpenSSL.
// Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace edgegate::base {

// Returns `bytes` bytes from the OS CSPRNG, hex-encoded (2 * bytes characters).
std::string RandomHex(size_t bytes);
// Returns a random RFC 4122 version-4 UUID in canonical text form.
std::string NewUuid();
// Returns the lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);
// Compares two strings in time that depends only on their lengths.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace edgegate::base
