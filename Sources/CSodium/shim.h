#ifndef SARAHVAULT_CSODIUM_SHIM_H
#define SARAHVAULT_CSODIUM_SHIM_H
#include <sodium.h>
#endif
