/* MOBILENET_VERSION_STRING for `mobilenet-cli --version`, from the C header
 * that is the library's version of record. Only the macros are used: the CLI
 * does not link libmobilenet.so. */
#include "../../../include/mobilenet.h"
