// The shape of a certificate body: every field it must hold, of the right kind and range, and no
// other. check_certificate runs this before recomputing what follows from the recorded values, so
// that every field of a certificate is either recomputed or checked here.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace nullmark {

// "" when the body has exactly the fields a version-2 certificate holds, each well formed;
// otherwise the first problem, naming the field.
std::string certificate_body_problem(const nlohmann::json& body);

}  // namespace nullmark
