// ShiftAdd is header-only (counts only); the pair keeps hw/'s one-module-per-file layout.
#include "shift_add.h"
