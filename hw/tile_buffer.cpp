// TileBuffer is header-only (its port is reserved on every row group's path); the pair keeps
// hw/'s one-module-per-file layout.
#include "tile_buffer.h"
