#include "common/error.h"
// Header-only today; the translation unit keeps the library target non-empty on every generator.
