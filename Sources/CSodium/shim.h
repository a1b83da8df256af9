#ifndef LIAISON_CSODIUM_SHIM_H
#define LIAISON_CSODIUM_SHIM_H
#include <sodium.h>
#endif
