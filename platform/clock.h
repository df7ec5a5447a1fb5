/* clock.h - monotonic time in milliseconds, immune to wall-clock jumps. */
#ifndef PINFOLD_CLOCK_H
#define PINFOLD_CLOCK_H

#include <stdint.h>

uint64_t clock_ms(void);

#endif
