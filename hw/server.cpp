// Server is header-only (its reserve() is on every row group's path); this file keeps the
// one-module-per-pair layout of hw/.
#include "server.h"
