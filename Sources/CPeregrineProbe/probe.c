#include "peregrine_probe.h"
